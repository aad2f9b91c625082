//! One-time console sign-in tokens: `ID.SIGNATURE`, where ID is random bytes (drawn by the
//! caller) in hex and SIGNATURE an HMAC of them under the console's secret. Pure: the
//! randomness comes in as an argument.

use hmac::{Hmac, Mac};
use sha1::{Digest, Sha1};
use subtle::ConstantTimeEq;

type HmacSha1 = Hmac<Sha1>;

/// Bytes as lowercase hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// The digest stored in place of a token or session id: whoever reads the database cannot
/// sign in with what they read.
pub fn digest(secret_value: &str) -> String {
    hex(&Sha1::digest(secret_value.as_bytes()))
}

fn signature(secret: &[u8], id: &str) -> String {
    // HMAC takes keys of any length; an empty one is refused below.
    let Ok(mut mac) = HmacSha1::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(b"console-link:");
    mac.update(id.as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// A token from 16 random bytes.
pub fn token(secret: &[u8], random: &[u8; 16]) -> String {
    let id = hex(random);
    let sig = signature(secret, &id);
    format!("{id}.{sig}")
}

/// Whether `token` carries a valid signature under `secret` (it may still be used or expired).
pub fn well_signed(secret: &[u8], token: &str) -> bool {
    let Some((id, sig)) = token.split_once('.') else {
        return false;
    };
    if secret.is_empty() || id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return false;
    }
    let expected = signature(secret, id);
    bool::from(expected.as_bytes().ct_eq(sig.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_only_with_their_secret_and_intact() {
        let t = token(b"secret-one", &[7; 16]);
        assert!(well_signed(b"secret-one", &t));
        assert!(!well_signed(b"secret-two", &t));
        let forged = token(b"secret-one", &[8; 16]).replace(&hex(&[8; 16]), &hex(&[7; 16]));
        assert!(!well_signed(b"secret-one", &forged));
        assert!(!well_signed(b"secret-one", "not-a-token"));
        assert!(!well_signed(b"", &t));
        assert_ne!(digest(&t), t);
    }
}
