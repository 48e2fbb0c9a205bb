//! The plans to check: each `--plan` file (a folder is its `*.toml` files), or the embedded
//! plan.

use std::path::PathBuf;

use super::Check;
use crate::domain::plan::Plan;

/// A plan as the doctor loaded it.
pub struct Loaded {
    /// How the report names the plan: its path, or "embedded plan".
    pub label: String,
    /// The `plan` line of a file, passed or failed; none for the embedded plan.
    pub check: Option<Check>,
    /// The plan, when it loaded.
    pub plan: Option<Plan>,
}

pub fn load(files: &[PathBuf]) -> Vec<Loaded> {
    if files.is_empty() {
        let plan = Plan::embedded();
        return vec![Loaded {
            label: "embedded plan".to_string(),
            check: None,
            plan: Some(plan),
        }];
    }
    match crate::plans::expand(files) {
        Ok(files) => files.iter().map(|file| load_file(file)).collect(),
        Err(error) => {
            let check = Check::failed(
                "plans",
                error.to_string(),
                "check the paths given to --plan",
            );
            vec![unloaded("plans".to_string(), check)]
        }
    }
}

fn load_file(file: &std::path::Path) -> Loaded {
    let label = file.display().to_string();
    let name = format!("plan {label}");
    let source = match std::fs::read_to_string(file) {
        Ok(source) => source,
        Err(error) => {
            let check = Check::failed(
                name,
                format!("cannot read it: {error}"),
                "check the path given to --plan",
            );
            return unloaded(label, check);
        }
    };
    match Plan::parse(&source) {
        Ok(plan) => {
            let release = &plan.release;
            let what = format!("parses ({} {})", release.name, release.version);
            Loaded {
                check: Some(Check::passed(name, what)),
                label,
                plan: Some(plan),
            }
        }
        Err(errors) => {
            // The same lines as `golive plan check`: path:line:column: problem.
            let mut why = format!("{} problem(s)", errors.0.len());
            for error in &errors.0 {
                why.push_str(&format!("\n{label}:{error}"));
            }
            let fix = format!("correct the plan file (`golive plan check {label}` lists the same)");
            unloaded(label, Check::failed(name, why, fix))
        }
    }
}

fn unloaded(label: String, check: Check) -> Loaded {
    Loaded {
        label,
        check: Some(check),
        plan: None,
    }
}
