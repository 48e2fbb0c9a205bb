//! The plans golive runs: the files and folders given by `--plan` (repeatable) or
//! `GOLIVE_PLANS`, each read and validated, then checked as a set, since every launch needs a
//! channel and a release key of its own. Without any, the embedded Summit plan.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use crate::domain::plan::Plan;

/// One plan and where it came from.
#[derive(Debug, Clone)]
pub struct PlanFile {
    /// The file, or `None` for the embedded plan.
    pub path: Option<PathBuf>,
    pub plan: Plan,
}

impl PlanFile {
    /// The file as error messages name it.
    pub fn shown(&self) -> String {
        self.path
            .as_deref()
            .map_or("(embedded plan)".to_string(), |p| p.display().to_string())
    }
}

/// A problem in one plan file, or between two, at a line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// Why the plans cannot run; nothing starts (or, on a reload, the running plans stay).
#[derive(Debug, thiserror::Error)]
pub enum PlansError {
    #[error("cannot read plan {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("plan folder {0} holds no *.toml file")]
    EmptyFolder(String),
    #[error("{}", shown(.0))]
    Invalid(Vec<Problem>),
}

fn shown(problems: &[Problem]) -> String {
    let mut lines: Vec<String> = problems.iter().map(Problem::to_string).collect();
    lines.push(format!("{} problem(s) in the plans", problems.len()));
    lines.join("\n")
}

/// The plan files a `GOLIVE_PLANS` value names: comma-separated files or folders.
pub fn from_list(value: &str) -> Vec<PathBuf> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Files as given, each folder replaced by its `*.toml` files in name order.
pub fn expand(paths: &[PathBuf]) -> Result<Vec<PathBuf>, PlansError> {
    let mut files = Vec::new();
    for path in paths {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let read = |source| PlansError::Read {
            path: path.display().to_string(),
            source,
        };
        let mut found: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(read)?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.is_file() && p.extension().is_some_and(|e| e == "toml"))
            .collect();
        if found.is_empty() {
            return Err(PlansError::EmptyFolder(path.display().to_string()));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// Reads and validates every plan of `paths` (the embedded plan when there are none), then
/// the set. Every problem of every file is reported, not just the first.
pub fn load(paths: &[PathBuf]) -> Result<Vec<PlanFile>, PlansError> {
    if paths.is_empty() {
        return Ok(vec![PlanFile {
            path: None,
            plan: Plan::embedded(),
        }]);
    }
    let mut plans = Vec::new();
    let mut problems = Vec::new();
    for path in expand(paths)? {
        match read(&path)? {
            Ok(plan) => plans.push(PlanFile {
                path: Some(path),
                plan,
            }),
            Err(found) => problems.extend(found),
        }
    }
    problems.extend(clashes(&plans));
    if problems.is_empty() {
        Ok(plans)
    } else {
        Err(PlansError::Invalid(problems))
    }
}

/// One file: its plan, or its problems.
pub fn read(path: &Path) -> Result<Result<Plan, Vec<Problem>>, PlansError> {
    let source = std::fs::read_to_string(path).map_err(|source| PlansError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let file = path.display().to_string();
    Ok(Plan::parse(&source).map_err(|errors| {
        errors
            .0
            .into_iter()
            .map(|e| Problem {
                file: file.clone(),
                line: e.line,
                column: e.column,
                message: e.message,
            })
            .collect()
    }))
}

/// Two plans with the same release key or the same channel, reported at the second.
pub fn clashes(plans: &[PlanFile]) -> Vec<Problem> {
    let mut problems = Vec::new();
    let mut keys: HashMap<String, &PlanFile> = HashMap::new();
    let mut channels: HashMap<String, &PlanFile> = HashMap::new();
    for file in plans {
        let release = &file.plan.release;
        let at = |(line, column): (usize, usize), message: String| Problem {
            file: file.shown(),
            line,
            column,
            message,
        };
        if let Some(first) = keys.insert(release.id(), file) {
            let message = format!(
                "release `{}` is also the release of {}; each plan needs its own name and version",
                release.id(),
                first.shown()
            );
            problems.push(at(release.located.name, message));
        }
        if let Some(first) = channels.insert(release.channel.to_lowercase(), file) {
            let message = format!(
                "channel {} is also the launch channel of {}; each launch needs its own channel",
                release.channel,
                first.shown()
            );
            problems.push(at(release.located.channel, message));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan_in(dir: &Path, name: &str, version: &str, channel: &str) -> PathBuf {
        let source = crate::domain::plan::EMBEDDED_SOURCE
            .replacen(
                "version = \"4.0.0\"",
                &format!("version = \"{version}\""),
                1,
            )
            .replacen(
                "channel = \"#v4-launch\"",
                &format!("channel = \"{channel}\""),
                1,
            );
        let path = dir.join(name);
        std::fs::write(&path, source).unwrap();
        path
    }

    #[test]
    fn no_plan_given_runs_the_embedded_plan() {
        let plans = load(&[]).unwrap();
        assert_eq!(plans.len(), 1);
        assert!(plans[0].path.is_none());
    }

    #[test]
    fn a_folder_is_its_toml_files_in_name_order() {
        let dir = tempfile::tempdir().unwrap();
        plan_in(dir.path(), "b.toml", "4.2.0", "#v42-launch");
        plan_in(dir.path(), "a.toml", "4.1.0", "#v41-launch");
        std::fs::write(dir.path().join("notes.md"), "not a plan").unwrap();
        let plans = load(&[dir.path().to_path_buf()]).unwrap();
        let versions: Vec<&str> = plans
            .iter()
            .map(|p| p.plan.release.version.as_str())
            .collect();
        assert_eq!(versions, ["4.1.0", "4.2.0"]);
    }

    #[test]
    fn two_plans_on_one_channel_or_one_release_key_are_refused_at_their_lines() {
        let dir = tempfile::tempdir().unwrap();
        let a = plan_in(dir.path(), "a.toml", "4.1.0", "#v41-launch");
        let b = plan_in(dir.path(), "b.toml", "4.1.0", "#v41-launch");
        let Err(PlansError::Invalid(problems)) = load(&[a, b]) else {
            panic!("clashing plans were accepted");
        };
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems.iter().all(|p| p.file.ends_with("b.toml")));
        assert!(problems[0].message.contains("release `summit-4.1.0`"));
        assert!(problems[1].message.contains("channel #v41-launch"));
        assert!(problems.iter().all(|p| p.line > 1 && p.column > 1));
    }

    #[test]
    fn every_file_with_problems_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a.toml");
        let b = dir.path().join("b.toml");
        std::fs::write(&a, "[release\n").unwrap();
        std::fs::write(&b, "nonsense = 1\n").unwrap();
        let Err(PlansError::Invalid(problems)) = load(&[a, b]) else {
            panic!("broken plans were accepted");
        };
        assert!(problems.iter().any(|p| p.file.ends_with("a.toml")));
        assert!(problems.iter().any(|p| p.file.ends_with("b.toml")));
    }

    #[test]
    fn a_plan_list_is_split_on_commas() {
        assert_eq!(
            from_list(" a.toml, plans/ ,,"),
            vec![PathBuf::from("a.toml"), PathBuf::from("plans/")]
        );
    }
}
