//! Who is in which sandbox group, derived from the roster.
//!
//! A real chat platform knows its members; the sandbox derives them from roles: residents,
//! leaders and deputies are in the groups of their grid, a coordinator is in every group of
//! their subtree, an admin in every group. Pure code over rows the store read.

use serde::Serialize;
use std::collections::BTreeMap;

use crate::domain::Role;
use crate::i18n::Texts;
use crate::store::sandbox::{PersonaGrant, SandboxGroup};

/// The roster as the page and the API show it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Roster {
    pub groups: Vec<GroupView>,
    pub personas: Vec<Persona>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct GroupView {
    pub id: String,
    pub title: String,
    /// The grid code the group is bound to.
    pub grid: String,
    pub grid_name: String,
}

/// Someone the page lets you be.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Persona {
    /// The persona id: the `from` of messages, the sender id the engine sees.
    pub id: String,
    pub name: String,
    /// The most senior role held anywhere.
    pub role: Role,
    /// That role in the configured language, with the level for coordinators (镇级协调员).
    pub role_label: String,
    /// Ids of the groups this persona is in.
    pub groups: Vec<String>,
    #[serde(skip)]
    grid_paths: Vec<(Role, Option<String>)>,
}

impl Roster {
    pub fn build(groups: Vec<SandboxGroup>, grants: Vec<PersonaGrant>, texts: &Texts) -> Roster {
        let mut by_persona: BTreeMap<String, Persona> = BTreeMap::new();
        let mut levels: BTreeMap<String, Option<String>> = BTreeMap::new();
        for g in grants {
            let persona = by_persona
                .entry(g.persona.clone())
                .or_insert_with(|| Persona {
                    id: g.persona.clone(),
                    name: g.name.clone(),
                    role: Role::Resident,
                    role_label: String::new(),
                    groups: Vec::new(),
                    grid_paths: Vec::new(),
                });
            if let Some(role) = g.role {
                if rank(role) >= rank(persona.role) {
                    persona.role = role;
                    levels.insert(g.persona.clone(), g.grid_level.clone());
                }
                persona.grid_paths.push((role, g.grid_path.clone()));
            }
        }
        for persona in by_persona.values_mut() {
            // Someone with no role and no known grid (a resident imported without a grid the
            // sandbox knows) may speak anywhere, as in a real group anyone invited can.
            let anywhere = persona.grid_paths.is_empty();
            persona.groups = groups
                .iter()
                .filter(|group| {
                    anywhere
                        || persona
                            .grid_paths
                            .iter()
                            .any(|(role, path)| reaches(*role, path.as_deref(), &group.grid_path))
                })
                .map(|group| group.id.clone())
                .collect();
            let level = levels.get(&persona.id).cloned().flatten();
            persona.role_label = texts.role_label(persona.role, level.as_deref()).to_string();
        }
        let mut personas: Vec<Persona> = by_persona.into_values().collect();
        // Staff first (admins, coordinators, leaders, deputies), then residents, each by id.
        personas.sort_by(|a, b| rank(b.role).cmp(&rank(a.role)).then(a.id.cmp(&b.id)));
        Roster {
            groups: groups
                .into_iter()
                .map(|g| GroupView {
                    id: g.id,
                    title: g.title,
                    grid: g.grid,
                    grid_name: g.grid_name,
                })
                .collect(),
            personas,
        }
    }

    pub fn group(&self, id: &str) -> Option<&GroupView> {
        self.groups.iter().find(|g| g.id == id)
    }

    pub fn persona(&self, id: &str) -> Option<&Persona> {
        self.personas.iter().find(|p| p.id == id)
    }

    /// The personas in a group, for resolving `@name` mentions.
    pub fn members<'a>(&'a self, group_id: &'a str) -> impl Iterator<Item = &'a Persona> + 'a {
        self.personas
            .iter()
            .filter(move |p| p.groups.iter().any(|g| g == group_id))
    }
}

impl Persona {
    pub fn is_in(&self, group_id: &str) -> bool {
        self.groups.iter().any(|g| g == group_id)
    }
}

/// Whether a role held on `grant_path` puts its holder in a group on `group_path`.
fn reaches(role: Role, grant_path: Option<&str>, group_path: &str) -> bool {
    match (role, grant_path) {
        (Role::Admin, _) => true,
        (Role::Coordinator, Some(root)) => group_path.starts_with(root),
        (Role::Resident | Role::Leader | Role::Deputy, Some(own)) => own == group_path,
        _ => false,
    }
}

/// Seniority for display: who a persona mainly is.
fn rank(role: Role) -> u8 {
    match role {
        Role::Resident => 0,
        Role::Deputy => 1,
        Role::Leader => 2,
        Role::Coordinator => 3,
        Role::Admin => 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(id: &str, path: &str) -> SandboxGroup {
        SandboxGroup {
            id: id.into(),
            title: format!("{id} 群"),
            grid: id.to_uppercase(),
            grid_name: id.into(),
            grid_path: path.into(),
        }
    }

    fn grant(persona: &str, role: Option<Role>, path: Option<&str>, level: &str) -> PersonaGrant {
        PersonaGrant {
            persona: persona.into(),
            person: persona.into(),
            name: persona.into(),
            role,
            grid: String::new(),
            grid_path: path.map(str::to_string),
            grid_level: (!level.is_empty()).then(|| level.to_string()),
        }
    }

    fn roster() -> Roster {
        let groups = vec![
            group("a1", "/T/A/A1/"),
            group("a2", "/T/A/A2/"),
            group("b1", "/T/B/B1/"),
        ];
        let grants = vec![
            grant("res", Some(Role::Resident), Some("/T/A/A1/"), "grid"),
            grant("lead", Some(Role::Leader), Some("/T/A/A2/"), "grid"),
            grant("lead", Some(Role::Resident), Some("/T/A/A1/"), "grid"),
            grant("vill", Some(Role::Coordinator), Some("/T/A/"), "village"),
            grant("town", Some(Role::Coordinator), Some("/T/"), "town"),
            grant("adm", Some(Role::Admin), None, ""),
            grant("nobody", None, None, ""),
        ];
        Roster::build(groups, grants, &Texts::new(crate::config::Language::Zh))
    }

    #[test]
    fn membership_follows_roles_down_the_tree() {
        let r = roster();
        let groups = |id: &str| r.persona(id).expect(id).groups.clone();
        assert_eq!(groups("res"), ["a1"]);
        assert_eq!(groups("lead"), ["a1", "a2"]);
        assert_eq!(groups("vill"), ["a1", "a2"]);
        assert_eq!(groups("town"), ["a1", "a2", "b1"]);
        assert_eq!(groups("adm"), ["a1", "a2", "b1"]);
        assert_eq!(groups("nobody"), ["a1", "a2", "b1"]);
        assert!(r.persona("res").expect("res").is_in("a1"));
        assert!(!r.persona("res").expect("res").is_in("b1"));
        let members: Vec<&str> = r.members("b1").map(|p| p.id.as_str()).collect();
        assert_eq!(members, ["adm", "town", "nobody"]);
    }

    #[test]
    fn the_most_senior_role_is_shown_with_its_level() {
        let r = roster();
        let label = |id: &str| {
            let p = r.persona(id).expect(id);
            (p.role, p.role_label.as_str())
        };
        assert_eq!(label("lead"), (Role::Leader, "网格长"));
        assert_eq!(label("vill"), (Role::Coordinator, "村级协调员"));
        assert_eq!(label("town"), (Role::Coordinator, "镇级协调员"));
        assert_eq!(label("res"), (Role::Resident, "居民"));
        assert_eq!(label("adm"), (Role::Admin, "管理员"));
        // Staff are listed before residents.
        assert_eq!(r.personas.first().map(|p| p.id.as_str()), Some("adm"));
        assert_eq!(r.personas.last().map(|p| p.role), Some(Role::Resident));
    }
}
