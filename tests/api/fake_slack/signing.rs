//! Slack's request signature (`slack-platform.md` §1), for tests that post signed requests
//! to golive's HTTP endpoints the way Slack would.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// `v0=<hex HMAC-SHA256(secret, "v0:<timestamp>:<body>")>`, the `X-Slack-Signature` header.
pub fn sign(secret: &str, timestamp: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key");
    mac.update(format!("v0:{timestamp}:{body}").as_bytes());
    format!("v0={}", hex::encode(mac.finalize().into_bytes()))
}
