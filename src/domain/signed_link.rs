//! Links that open one file for a while without showing the secret behind them: the path and an
//! expiry, signed with HMAC-SHA256 under the board token.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The signature of `path` until `expires`.
pub fn sign(secret: &str, path: &str, expires: DateTime<Utc>) -> String {
    let mut mac = mac(secret);
    mac.update(message(path, expires).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Whether `signature` is `path`'s until `expires`, and `now` is before then.
pub fn verify(
    secret: &str,
    path: &str,
    expires: DateTime<Utc>,
    signature: &str,
    now: DateTime<Utc>,
) -> bool {
    let Ok(given) = hex::decode(signature) else {
        return false;
    };
    let mut mac = mac(secret);
    mac.update(message(path, expires).as_bytes());
    // verify_slice compares in constant time.
    now < expires && mac.verify_slice(&given).is_ok()
}

fn mac(secret: &str) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap_or_else(|_| {
        Hmac::<Sha256>::new_from_slice(&[0]).expect("a one-byte HMAC key is valid")
    })
}

fn message(path: &str, expires: DateTime<Utc>) -> String {
    format!("{path}\n{}", expires.timestamp())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_opens_its_own_path_until_it_expires() {
        let now: DateTime<Utc> = "2026-03-10T17:00:00Z".parse().unwrap();
        let expires = now + chrono::TimeDelta::days(1);
        let path = "/export/summit-4.0.0.md";
        let signature = sign("secret", path, expires);
        assert!(verify("secret", path, expires, &signature, now));
        assert!(!verify(
            "secret",
            "/export/summit-4.0.0.csv",
            expires,
            &signature,
            now
        ));
        assert!(!verify("other", path, expires, &signature, now));
        assert!(!verify(
            "secret",
            path,
            expires + chrono::TimeDelta::days(1),
            &signature,
            now
        ));
        assert!(!verify("secret", path, expires, &signature, expires));
        assert!(!verify("secret", path, expires, "not hex", now));
    }
}
