//! `gridline import FILE.csv`: the roster — grids with their parents, chat groups per platform,
//! people with roles — in one CSV file. Everything is validated first; any bad row means
//! nothing changes, and every bad row is reported by line number. Importing the same file
//! again changes nothing (upserts keyed on codes and platform ids) and says so.
//!
//! Encoding: UTF-8 (with or without Excel's byte-order mark) is read as it is. A file saved by
//! Excel on Chinese Windows ("CSV (逗号分隔)") is GBK; it is recognised (not valid UTF-8,
//! valid GB18030, which contains GBK) and converted. UTF-16 with a byte-order mark (Excel's
//! "Unicode text") is converted too. Anything else is refused with one message saying how to
//! save the file as UTF-8, instead of one "invalid UTF-8" error per row.
//!
//! Header: `kind,code,name,parent,level,platform,external_id,role`
//!
//! | kind   | code        | name        | parent                    | level               | platform | external_id | role |
//! |--------|-------------|-------------|---------------------------|---------------------|----------|-------------|------|
//! | grid   | grid code   | grid name   | parent grid code or empty | town, village, grid |          |             |      |
//! | group  |             | group title | grid code                 |                     | sandbox… | chat id     |      |
//! | person | person code | name        | grid of the role          |                     | optional | user id     | resident, leader, deputy, coordinator, admin |

use std::collections::{HashMap, HashSet};
use std::io::Read;

use crate::domain::Role;
use crate::store::roster::{GrantRow, GridRow, GroupRow, IdentityRow, PersonRow};
use crate::store::{Store, StoreError};

const HEADER: [&str; 8] = [
    "kind",
    "code",
    "name",
    "parent",
    "level",
    "platform",
    "external_id",
    "role",
];
const LEVELS: [&str; 3] = ["town", "village", "grid"];

/// A bad row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("{}", describe(.0))]
    Invalid(Vec<RowError>),
    #[error(
        "the file is neither UTF-8 nor GBK/GB18030 text; in Excel choose 另存为 (Save As) → \
         \"CSV UTF-8 (逗号分隔)\" and import that file"
    )]
    Encoding,
    #[error("cannot read the file: {0}")]
    Read(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn describe(errors: &[RowError]) -> String {
    let mut out = format!("{} bad row(s); nothing was imported:", errors.len());
    for e in errors.iter().take(50) {
        out.push_str(&format!("\n  line {}: {}", e.line, e.message));
    }
    if errors.len() > 50 {
        out.push_str(&format!("\n  … and {} more", errors.len() - 50));
    }
    out
}

/// What an import read and wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportReport {
    pub grids: usize,
    pub groups: usize,
    pub people: usize,
    pub identities: usize,
    pub grants: usize,
    /// Rows that were new or different: 0 when the database already matched the file.
    pub changed: u64,
    /// The encoding the file was converted from, when it was not UTF-8 (`GBK/GB18030`).
    pub converted_from: Option<&'static str>,
}

impl ImportReport {
    /// Nothing was new: the file matched what was already there.
    pub fn unchanged(&self) -> bool {
        self.changed == 0
    }
}

/// How far an import's writing has got, for a progress line on a terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Rows written so far and in all (grids, groups, people, identities and grants together).
    pub done: usize,
    pub total: usize,
}

/// Rows written per statement group between progress reports.
const STEP: usize = 2_000;

/// The validated content of a file, ready to write.
#[derive(Debug, Default)]
struct Plan {
    grids: Vec<GridRow>,
    groups: Vec<GroupRow>,
    people: Vec<PersonRow>,
    identities: Vec<IdentityRow>,
    grants: Vec<GrantRow>,
}

/// Imports a roster from CSV text. All or nothing.
pub async fn import_csv(store: &Store, input: impl Read) -> Result<ImportReport, ImportError> {
    import_csv_with_progress(store, input, |_| {}).await
}

/// [`import_csv`], telling `progress` how far the writing has got after every few thousand rows.
pub async fn import_csv_with_progress(
    store: &Store,
    mut input: impl Read,
    mut progress: impl FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    let mut bytes = Vec::new();
    input
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::Read(e.to_string()))?;
    let (text, converted_from) = decode(&bytes)?;
    let mut tx = store.begin().await?;
    let existing: HashMap<String, String> = tx
        .existing_grids()
        .await?
        .into_iter()
        .map(|g| (g.code, g.path))
        .collect();
    let plan = validate(text.as_bytes(), &existing)?;
    // A grid moved under another parent now counts towards other ancestors.
    let moved = plan
        .grids
        .iter()
        .any(|g| existing.get(&g.code).is_some_and(|p| *p != g.path));
    let total = plan.grids.len()
        + plan.groups.len()
        + plan.people.len()
        + plan.identities.len()
        + plan.grants.len();
    let mut done = 0;
    let mut changed = 0;
    // Each table in steps of STEP rows, counting what changed and reporting progress.
    macro_rules! upsert_in_steps {
        ($rows:expr, $upsert:ident) => {
            for chunk in $rows.chunks(STEP) {
                changed += tx.$upsert(chunk).await?;
                done += chunk.len();
                progress(Progress { done, total });
            }
        };
    }
    // Grids first, parents before children (the plan's order), then what refers to them.
    upsert_in_steps!(plan.grids, upsert_grids);
    upsert_in_steps!(plan.groups, upsert_groups);
    upsert_in_steps!(plan.people, upsert_people);
    upsert_in_steps!(plan.identities, upsert_identities);
    upsert_in_steps!(plan.grants, upsert_grants);
    tx.commit().await?;
    // The planner's picture of the roster tables is from before the import; at county scale a
    // stale one picks scans for the engine's per-batch look-ups until autovacuum catches up.
    store.refresh_roster_statistics().await?;
    if moved {
        store.rebuild_rollups().await?;
    }
    Ok(ImportReport {
        grids: plan.grids.len(),
        groups: plan.groups.len(),
        people: plan.people.len(),
        identities: plan.identities.len(),
        grants: plan.grants.len(),
        changed,
        converted_from,
    })
}

/// The file's text: UTF-8 as it is (without a byte-order mark), GBK/GB18030 or UTF-16 with a
/// byte-order mark converted, anything else refused.
fn decode(bytes: &[u8]) -> Result<(std::borrow::Cow<'_, str>, Option<&'static str>), ImportError> {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        let body = &bytes[bom..];
        if encoding == encoding_rs::UTF_8 {
            return std::str::from_utf8(body)
                .map(|s| (std::borrow::Cow::Borrowed(s), None))
                .map_err(|_| ImportError::Encoding);
        }
        return encoding
            .decode_without_bom_handling_and_without_replacement(body)
            .map(|s| (s, Some(encoding.name())))
            .ok_or(ImportError::Encoding);
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((std::borrow::Cow::Borrowed(s), None));
    }
    encoding_rs::GB18030
        .decode_without_bom_handling_and_without_replacement(bytes)
        .map(|s| (s, Some("GBK/GB18030")))
        .ok_or(ImportError::Encoding)
}

struct RawGrid {
    line: u64,
    code: String,
    name: String,
    parent: Option<String>,
    level: String,
}

/// Reads and checks every row; returns the plan or every problem found.
fn validate(input: impl Read, existing: &HashMap<String, String>) -> Result<Plan, ImportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(false)
        .trim(csv::Trim::All)
        .from_reader(input);
    let headers = reader
        .headers()
        .map_err(|e| ImportError::Read(e.to_string()))?
        .clone();
    let got: Vec<&str> = headers.iter().collect();
    if got != HEADER {
        return Err(ImportError::Invalid(vec![RowError {
            line: 1,
            message: format!(
                "the header must be `{}`, found `{}`",
                HEADER.join(","),
                got.join(",")
            ),
        }]));
    }
    let mut errors = Vec::new();
    let mut grids: Vec<RawGrid> = Vec::new();
    let mut grid_lines: HashMap<String, u64> = HashMap::new();
    let mut pending_groups = Vec::new();
    let mut pending_people = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i as u64 + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                errors.push(RowError {
                    line,
                    message: format!("unreadable row: {e}"),
                });
                continue;
            }
        };
        let field = |n: usize| record.get(n).unwrap_or("").to_string();
        let (kind, code, name, parent, level, platform, external_id, role) = (
            field(0),
            field(1),
            field(2),
            field(3),
            field(4),
            field(5),
            field(6),
            field(7),
        );
        let mut bad = |message: String| errors.push(RowError { line, message });
        match kind.as_str() {
            "grid" => {
                if code.is_empty()
                    || code.contains(['/', '#'])
                    || code.chars().any(char::is_whitespace)
                {
                    // `#` separates grid and number in a ticket number (QS-DF-01#12).
                    bad("a grid needs a code without `/`, `#` or spaces".into());
                } else if name.is_empty() {
                    bad(format!("grid {code} needs a name"));
                } else if !LEVELS.contains(&level.as_str()) {
                    bad(format!(
                        "grid {code}: level must be town, village or grid, not `{level}`"
                    ));
                } else if let Some(first) = grid_lines.get(&code) {
                    bad(format!("grid {code} is already defined on line {first}"));
                } else {
                    grid_lines.insert(code.clone(), line);
                    grids.push(RawGrid {
                        line,
                        code,
                        name,
                        parent: (!parent.is_empty()).then_some(parent),
                        level,
                    });
                }
            }
            "group" => {
                if platform.is_empty() || external_id.is_empty() {
                    bad("a group needs platform and external_id (the chat id)".into());
                } else if parent.is_empty() {
                    bad(format!(
                        "group {external_id} needs the grid code in `parent`"
                    ));
                } else {
                    pending_groups.push((
                        line,
                        GroupRow {
                            platform,
                            chat_id: external_id,
                            grid: parent,
                            title: name,
                        },
                    ));
                }
            }
            "person" => {
                let role = match role.parse::<Role>() {
                    Ok(r) => r,
                    Err(_) => {
                        bad(format!(
                            "person {code}: role must be resident, leader, deputy, coordinator or admin, not `{role}`"
                        ));
                        continue;
                    }
                };
                if code.is_empty() || name.is_empty() {
                    bad("a person needs a code and a name".into());
                } else if platform.is_empty() != external_id.is_empty() {
                    bad(format!(
                        "person {code}: give both platform and external_id, or neither"
                    ));
                } else if matches!(role, Role::Leader | Role::Deputy | Role::Coordinator)
                    && parent.is_empty()
                {
                    bad(format!(
                        "person {code}: a {role} needs the grid code in `parent`"
                    ));
                } else {
                    pending_people.push((line, code, name, parent, platform, external_id, role));
                }
            }
            other => bad(format!("kind must be grid, group or person, not `{other}`")),
        }
    }

    // Paths: parents may be in the file or already in the database.
    let mut paths: HashMap<String, String> = existing.clone();
    let by_code: HashMap<&str, &RawGrid> = grids.iter().map(|g| (g.code.as_str(), g)).collect();
    let mut plan = Plan::default();
    for g in &grids {
        let mut chain = vec![g.code.as_str()];
        let mut current = g;
        let mut failed = None;
        let root_path = loop {
            match &current.parent {
                None => break Some(String::from("/")),
                Some(p) => {
                    if chain.contains(&p.as_str()) {
                        failed = Some(format!("grid {} is its own ancestor", g.code));
                        break None;
                    }
                    if let Some(next) = by_code.get(p.as_str()) {
                        chain.push(p.as_str());
                        current = next;
                    } else if let Some(path) = existing.get(p) {
                        break Some(path.clone());
                    } else {
                        failed = Some(format!(
                            "grid {}: parent {p} is neither in the file nor in the database",
                            current.code
                        ));
                        break None;
                    }
                }
            }
        };
        match (root_path, failed) {
            (Some(base), None) => {
                let mut path = base;
                for code in chain.iter().rev() {
                    path.push_str(code);
                    path.push('/');
                }
                paths.insert(g.code.clone(), path.clone());
                plan.grids.push(GridRow {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    parent: g.parent.clone(),
                    level: g.level.clone(),
                    path,
                });
            }
            (_, Some(message)) => errors.push(RowError {
                line: g.line,
                message,
            }),
            (None, None) => {}
        }
    }
    // Parents before children, so that the parent reference always finds its row.
    plan.grids.sort_by_key(|g| g.path.matches('/').count());

    let mut seen_groups: HashMap<(String, String), u64> = HashMap::new();
    for (line, group) in pending_groups {
        if !paths.contains_key(&group.grid) {
            errors.push(RowError {
                line,
                message: format!(
                    "group {}: grid {} does not exist",
                    group.chat_id, group.grid
                ),
            });
        } else if let Some(first) =
            seen_groups.insert((group.platform.clone(), group.chat_id.clone()), line)
        {
            errors.push(RowError {
                line,
                message: format!(
                    "group {} on {} is already listed on line {first}",
                    group.chat_id, group.platform
                ),
            });
        } else {
            plan.groups.push(group);
        }
    }

    let mut names: HashMap<String, (String, u64)> = HashMap::new();
    let mut identity_owner: HashMap<(String, String), (String, u64)> = HashMap::new();
    let mut grants_seen: HashSet<(String, Role, String)> = HashSet::new();
    for (line, code, name, parent, platform, external_id, role) in pending_people {
        if !parent.is_empty() && !paths.contains_key(&parent) {
            errors.push(RowError {
                line,
                message: format!("person {code}: grid {parent} does not exist"),
            });
            continue;
        }
        match names.get(&code) {
            Some((other, first)) if *other != name => {
                errors.push(RowError {
                    line,
                    message: format!(
                        "person {code} is called {other} on line {first} but {name} here"
                    ),
                });
                continue;
            }
            Some(_) => {}
            None => {
                names.insert(code.clone(), (name.clone(), line));
                plan.people.push(PersonRow {
                    code: code.clone(),
                    name: name.clone(),
                });
            }
        }
        if !platform.is_empty() {
            let key = (platform.clone(), external_id.clone());
            match identity_owner.get(&key) {
                Some((owner, first)) if *owner != code => {
                    errors.push(RowError { line, message: format!("{platform} user {external_id} already belongs to {owner} (line {first})") });
                    continue;
                }
                Some(_) => {}
                None => {
                    identity_owner.insert(key, (code.clone(), line));
                    plan.identities.push(IdentityRow {
                        platform,
                        user_id: external_id,
                        person: code.clone(),
                    });
                }
            }
        }
        if role != Role::Resident {
            let grid = if role == Role::Admin {
                String::new()
            } else {
                parent
            };
            if grants_seen.insert((code.clone(), role, grid.clone())) {
                plan.grants.push(GrantRow {
                    person: code,
                    role,
                    grid,
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(plan)
    } else {
        errors.sort_by_key(|e| e.line);
        Err(ImportError::Invalid(errors))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1-V1,东门村,T1,village,,,
grid,T1-V1-G1,东门一网格,T1-V1,grid,,,
group,,东门一网格群,T1-V1-G1,,memory,g1,
person,P1,张伟,T1-V1-G1,,memory,u1,leader
person,P1,张伟,T1-V1,,,,coordinator
person,P2,王芳,T1-V1-G1,,memory,u2,resident
person,A1,管理员,,,memory,a1,admin
";

    #[test]
    fn excel_encodings_are_read_and_anything_else_refused_in_one_message() {
        // UTF-8 with Excel's byte-order mark.
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(GOOD.as_bytes());
        let (text, from) = decode(&bom).expect("utf-8 with bom");
        assert_eq!((text.as_ref(), from), (GOOD, None));
        // "CSV (逗号分隔)" from Excel on Chinese Windows: GBK.
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(GOOD);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&gbk).is_err());
        let (text, from) = decode(&gbk).expect("gbk");
        assert_eq!((text.as_ref(), from), (GOOD, Some("GBK/GB18030")));
        assert!(validate(text.as_bytes(), &HashMap::new()).is_ok());
        // Excel's "Unicode text": UTF-16LE with its mark.
        let mut utf16 = vec![0xFF, 0xFE];
        for unit in GOOD.encode_utf16() {
            utf16.extend_from_slice(&unit.to_le_bytes());
        }
        let (text, from) = decode(&utf16).expect("utf-16");
        assert_eq!((text.as_ref(), from), (GOOD, Some("UTF-16LE")));
        // Not text in any of these: one message on how to save the file.
        let err = decode(&[0x80, 0xFF, 0x30, 0xFF]).expect_err("refused");
        assert!(err.to_string().contains("CSV UTF-8"), "{err}");
    }

    #[test]
    fn grid_codes_cannot_hold_the_number_separator() {
        let bad =
            "kind,code,name,parent,level,platform,external_id,role\ngrid,T#1,城关镇,,town,,,\n";
        let Err(ImportError::Invalid(errors)) = validate(bad.as_bytes(), &HashMap::new()) else {
            panic!("refused");
        };
        assert_eq!(errors[0].line, 2);
    }

    #[test]
    fn a_good_file_plans_paths_and_grants() {
        let plan = validate(GOOD.as_bytes(), &HashMap::new()).expect("valid");
        let paths: Vec<&str> = plan.grids.iter().map(|g| g.path.as_str()).collect();
        assert_eq!(paths, ["/T1/", "/T1/T1-V1/", "/T1/T1-V1/T1-V1-G1/"]);
        assert_eq!(plan.groups.len(), 1);
        assert_eq!(plan.people.len(), 3);
        assert_eq!(plan.identities.len(), 3);
        assert_eq!(
            plan.grants.len(),
            3,
            "leader, coordinator, admin; residents hold no grant"
        );
    }

    #[test]
    fn every_bad_row_is_reported_with_its_line() {
        let bad = "kind,code,name,parent,level,platform,external_id,role
grid,T1,城关镇,,town,,,
grid,T1,重复,,town,,,
grid,X,无父,NOPE,grid,,,
group,,群,MISSING,,memory,g1,
person,P1,张伟,T1,,memory,u1,boss
person,P2,李强,,,memory,u2,leader
thing,,,,,,,
";
        let Err(ImportError::Invalid(errors)) = validate(bad.as_bytes(), &HashMap::new()) else {
            panic!("should be invalid");
        };
        let lines: Vec<u64> = errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 7, 8], "{errors:?}");
        assert!(errors[0].message.contains("already defined on line 2"));
        assert!(errors[3].message.contains("boss"));
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let Err(ImportError::Invalid(errors)) = validate("a,b\n1,2\n".as_bytes(), &HashMap::new())
        else {
            panic!("should be invalid");
        };
        assert_eq!(errors[0].line, 1);
    }

    #[test]
    fn parents_may_already_be_in_the_database() {
        let existing = HashMap::from([("T1".to_string(), "/T1/".to_string())]);
        let plan = validate(
            "kind,code,name,parent,level,platform,external_id,role\ngrid,G,网格,T1,grid,,,\n"
                .as_bytes(),
            &existing,
        )
        .expect("valid");
        assert_eq!(plan.grids[0].path, "/T1/G/");
    }
}
