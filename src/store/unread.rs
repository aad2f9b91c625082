//! What a platform sent that gridline could not read, kept exactly as received.
//!
//! An adapter stores such a payload here before it tells the platform the payload arrived
//! (the next getUpdates offset, a webhook's 200), so that a new field, entity type or chat type
//! costs a log line and a row to look at, never a resident's message.

use super::{Result, Store, col};

/// The most of a payload kept, in bytes: a longer one keeps its beginning and says how long it
/// was. Every payload a platform really sends is far shorter (a Telegram update with a
/// 4,096-character text and its entities, a OneBot event with its CQ codes: a few to a few
/// dozen kilobytes); what is longer is garbage posted with valid credentials, and keeping it
/// whole would cost memory and disk for nothing. Below 128 KiB also keeps every value SQLite
/// copies on the small-allocation path of the C library's allocator, which returns memory
/// after a flood of such payloads instead of holding its high-water mark in every connection
/// thread (see docs/faults.md).
pub const KEEP_MAX_BYTES: usize = 64 * 1024;

/// `raw` as kept: whole up to [`KEEP_MAX_BYTES`], else its beginning (cut at a character
/// boundary) and a note of its whole length.
pub fn kept(raw: &str) -> std::borrow::Cow<'_, str> {
    if raw.len() <= KEEP_MAX_BYTES {
        return raw.into();
    }
    let note = format!("… [cut: {} bytes in all]", raw.len());
    let head = raw.floor_char_boundary(KEEP_MAX_BYTES - note.len());
    format!("{}{note}", &raw[..head]).into()
}

/// The most of a reason kept, in bytes. A parser's error can quote the value it choked on
/// (serde's "invalid type: string \"…\"" quotes a whole string, a megabyte of it in a
/// garbage body); what is wrong is said in the first few dozen characters, and the payload
/// itself is kept beside it. Every log line about a payload not understood stays short.
pub const REASON_MAX_BYTES: usize = 400;

/// `why` as an [`Unread::reason`]: whole up to [`REASON_MAX_BYTES`], else its beginning (cut
/// at a character boundary) followed by `…`.
pub fn reason(why: String) -> String {
    if why.len() <= REASON_MAX_BYTES {
        return why;
    }
    let head = why.floor_char_boundary(REASON_MAX_BYTES - '…'.len_utf8());
    format!("{}…", &why[..head])
}

/// One payload not understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unread {
    pub platform: String,
    pub account: String,
    /// The platform's id for the payload when one could be read, else a hash of `raw`: the
    /// same payload fetched again is stored once.
    pub key: String,
    /// Why it could not be read (the parser's error, cut by [`reason`]).
    pub reason: String,
    /// The payload as received (kept up to [`KEEP_MAX_BYTES`]).
    pub raw: String,
}

impl Store {
    /// Stores payloads not understood (each [`kept`] to its first [`KEEP_MAX_BYTES`]); ones
    /// already stored are skipped. Returns, per row, whether it was new (the caller logs
    /// those, once each).
    pub async fn keep_unread(&self, rows: &[Unread], received_at: i64) -> Result<Vec<bool>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.begin().await?;
        let mut new = Vec::with_capacity(rows.len());
        for r in rows {
            let done = sqlx::query(
                "INSERT INTO inbox_unread (platform, account, key, received_at, reason, raw) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (platform, account, key) DO NOTHING",
            )
            .bind(r.platform.clone())
            .bind(r.account.clone())
            .bind(r.key.clone())
            .bind(received_at)
            .bind(kept(&r.reason).into_owned())
            .bind(kept(&r.raw).into_owned())
            .execute(tx.conn())
            .await?;
            new.push(done.rows_affected() > 0);
        }
        tx.commit().await?;
        Ok(new)
    }

    /// How many payloads were kept unread (for `gridline stats`).
    pub async fn unread_count(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COUNT(*) AS n FROM inbox_unread")
            .fetch_one(self.pool())
            .await?;
        col(&row, "n")
    }

    /// The newest payloads kept unread, newest first: `(platform, key, reason, raw)`.
    pub async fn recent_unread(&self, limit: i64) -> Result<Vec<Unread>> {
        let rows = sqlx::query(
            "SELECT platform, account, key, reason, raw FROM inbox_unread ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Unread {
                    platform: col(r, "platform")?,
                    account: col(r, "account")?,
                    key: col(r, "key")?,
                    reason: col(r, "reason")?,
                    raw: col(r, "raw")?,
                })
            })
            .collect()
    }
}

/// A stable key for a payload without an id of its own (FNV-1a over its bytes).
pub fn hash_key(raw: &[u8]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in raw {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("h:{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_payloads_keep_their_beginning_and_say_how_long_they_were() {
        assert_eq!(kept("{\"update_id\":1}"), "{\"update_id\":1}");
        let exact = "a".repeat(KEEP_MAX_BYTES);
        assert_eq!(kept(&exact), exact.as_str());

        let long = "a".repeat(1 << 20);
        let cut = kept(&long);
        assert!(cut.len() <= KEEP_MAX_BYTES, "{}", cut.len());
        assert!(cut.starts_with(&"a".repeat(60_000)));
        assert!(
            cut.ends_with("… [cut: 1048576 bytes in all]"),
            "{}",
            &cut[cut.len() - 40..]
        );

        // Three bytes a character: cut between characters, never inside one.
        let wide = "灯".repeat(100_000);
        let cut = kept(&wide);
        assert!(cut.len() <= KEEP_MAX_BYTES);
        let head = cut.split('…').next().expect("head");
        assert!(!head.is_empty() && head.chars().all(|c| c == '灯'));
    }

    #[test]
    fn reasons_are_cut_between_characters() {
        assert_eq!(reason("not JSON".into()), "not JSON");
        let exact = "a".repeat(REASON_MAX_BYTES);
        assert_eq!(reason(exact.clone()), exact);
        let long = reason(format!("invalid type: string \"{}\"", "灯".repeat(500_000)));
        assert!(long.len() <= REASON_MAX_BYTES, "{}", long.len());
        assert!(long.starts_with("invalid type: string \"灯灯"));
        assert!(long.ends_with("灯…"));
    }
}
