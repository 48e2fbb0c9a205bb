//! The bot token scopes golive needs: the one list, kept equal to the app manifests by a test.

/// The `oauth_config.scopes.bot` list of `deploy/slack-app-manifest.yaml` (and of the HTTP-mode
/// manifest).
pub const BOT_SCOPES: &[&str] = &[
    "commands",
    "chat:write",
    "chat:write.public",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "usergroups:read",
    "users:read",
    "app_mentions:read",
    "im:write",
    "im:history",
];

/// The scopes of [`BOT_SCOPES`] missing from `granted`, a comma-separated list as Slack sends it
/// in the `x-oauth-scopes` header.
pub fn missing(granted: &str) -> Vec<&'static str> {
    let granted: Vec<&str> = granted.split(',').map(str::trim).collect();
    BOT_SCOPES
        .iter()
        .copied()
        .filter(|scope| !granted.contains(scope))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The `bot:` list of a manifest, read line by line: no YAML crate is linked.
    fn manifest_bot_scopes(manifest: &str) -> Vec<String> {
        let mut scopes: Vec<String> = manifest
            .lines()
            .map(str::trim)
            .skip_while(|line| *line != "bot:")
            .skip(1)
            .filter(|line| !line.starts_with('#'))
            .map_while(|line| line.strip_prefix("- "))
            .map(|scope| scope.trim().to_string())
            .collect();
        scopes.sort();
        scopes
    }

    fn required() -> Vec<String> {
        let mut scopes: Vec<String> = BOT_SCOPES.iter().map(|s| s.to_string()).collect();
        scopes.sort();
        scopes
    }

    #[test]
    fn the_list_is_the_socket_mode_manifests() {
        let manifest = include_str!("../../deploy/slack-app-manifest.yaml");
        assert_eq!(manifest_bot_scopes(manifest), required());
    }

    #[test]
    fn the_list_is_the_http_mode_manifests() {
        let manifest = include_str!("../../deploy/slack-app-manifest.http.yaml");
        assert_eq!(manifest_bot_scopes(manifest), required());
    }

    #[test]
    fn missing_scopes_are_those_not_granted() {
        let granted = BOT_SCOPES
            .iter()
            .filter(|s| !matches!(**s, "users:read" | "im:write"))
            .copied()
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(missing(&granted), vec!["users:read", "im:write"]);
        assert_eq!(missing(""), BOT_SCOPES.to_vec());
    }
}
