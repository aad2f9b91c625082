//! Login without passwords: a signed, single-use link swaps for a session cookie.
//!
//! A link token is `ID.SIGNATURE`: 16 random bytes, and an HMAC of them under the console's
//! secret (kept in the database, shared by every replica). The signature turns away forged
//! tokens before the database is asked; the database holds only a digest of the token and
//! lets it be used once, within `console.link_ttl`. The session cookie holds 32 random bytes,
//! stored as a digest too; each session has its own CSRF token, required on every POST.

use subtle::ConstantTimeEq;

use crate::config::Settings;
use crate::domain::token;
use crate::store::{Store, StoreError};

pub use crate::domain::token::{digest, well_signed};

/// The cookie the console's session travels in.
pub const COOKIE: &str = "gridline_console";

/// Why a link could not be made.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    #[error("no person with code `{0}`")]
    NoSuchPerson(String),
    #[error("`{0}` holds no admin, coordinator or leader role, so has no console")]
    NotStaff(String),
    #[error("no randomness from the operating system: {0}")]
    Random(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `n` random bytes from the operating system, as hex.
pub fn random_hex(n: usize) -> Result<String, LinkError> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf).map_err(|e| LinkError::Random(e.to_string()))?;
    Ok(token::hex(&buf))
}

/// 16 random bytes.
pub fn random16() -> Result<[u8; 16], LinkError> {
    let mut buf = [0u8; 16];
    getrandom::fill(&mut buf).map_err(|e| LinkError::Random(e.to_string()))?;
    Ok(buf)
}

/// A new token for a link.
pub fn new_token(secret: &[u8]) -> Result<String, LinkError> {
    Ok(token::token(secret, &random16()?))
}

/// The console's signing secret (created in the database on first use).
pub async fn secret(store: &Store) -> Result<Vec<u8>, LinkError> {
    let fresh = random_hex(32)?;
    Ok(store
        .console_secret(&fresh, crate::store::now_millis())
        .await?
        .into_bytes())
}

/// Makes a one-time login link for `person` and returns its address. Refuses people with no
/// staff role (residents have no console).
pub async fn issue_link(
    store: &Store,
    settings: &Settings,
    person: &str,
    now: i64,
) -> Result<String, LinkError> {
    let Some((_, grants)) = store.console_person(person).await? else {
        return Err(LinkError::NoSuchPerson(person.to_string()));
    };
    if !grants.iter().any(|(role, _)| role.is_staff()) {
        return Err(LinkError::NotStaff(person.to_string()));
    }
    let secret = secret(store).await?;
    let token = new_token(&secret)?;
    let ttl = settings.console.link_ttl.as_millis();
    store
        .console_link_create(&digest(&token), person, now, now + ttl)
        .await?;
    Ok(format!(
        "{}/console/login?token={token}",
        settings.console.base_url(settings.http.listen)
    ))
}

/// The session cookie's value from a `Cookie` header.
pub fn session_cookie(header: &str) -> Option<&str> {
    header
        .split(';')
        .filter_map(|p| p.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

/// The `Set-Cookie` value for a new session (or an empty one that ends it).
pub fn set_cookie(value: &str, secure: bool) -> String {
    let end = if value.is_empty() { "; Max-Age=0" } else { "" };
    format!(
        "{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict{}{end}",
        if secure { "; Secure" } else { "" }
    )
}

/// Compares a submitted CSRF token with the session's, in constant time.
pub fn csrf_matches(expected: &str, given: Option<&str>) -> bool {
    given.is_some_and(|g| {
        !expected.is_empty() && bool::from(expected.as_bytes().ct_eq(g.as_bytes()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_strict_http_only_and_secure_over_https() {
        let c = set_cookie("abc", true);
        assert!(c.contains("HttpOnly") && c.contains("SameSite=Strict") && c.contains("Secure"));
        assert!(!set_cookie("abc", false).contains("Secure"));
        assert_eq!(
            session_cookie("a=1; gridline_console=xyz; b=2"),
            Some("xyz")
        );
        assert_eq!(session_cookie("a=1"), None);
        assert!(csrf_matches("t", Some("t")));
        assert!(!csrf_matches("t", Some("u")));
        assert!(!csrf_matches("t", None));
    }
}
