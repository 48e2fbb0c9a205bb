//! Plan files for tests: the shipped plan as another release, in another channel.

/// A plan file in `dir`: the shipped plan as release `version` in `channel`, with L-Day
/// `launch_date` ("TBD" leaves it unset).
pub fn plan_file(
    dir: &std::path::Path,
    version: &str,
    channel: &str,
    launch_date: &str,
) -> std::path::PathBuf {
    let source = golive::domain::plan::EMBEDDED_SOURCE
        .replacen(
            "version = \"4.0.0\"",
            &format!("version = \"{version}\""),
            1,
        )
        .replacen(
            "channel = \"#v4-launch\"",
            &format!("channel = \"{channel}\""),
            1,
        )
        .replacen(
            "launch_date = \"TBD\"",
            &format!("launch_date = \"{launch_date}\""),
            1,
        );
    let path = dir.join(format!("summit-{version}.toml"));
    std::fs::write(&path, source).unwrap();
    path
}
