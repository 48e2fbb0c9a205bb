//! Plan files: never a panic, and every problem located at a line and column inside the file.
#![no_main]

use golive::domain::plan::Plan;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|source: &str| {
    let Err(errors) = Plan::parse(source) else {
        return;
    };
    assert!(!errors.0.is_empty());
    let lines: Vec<&str> = source.split('\n').collect();
    for error in &errors.0 {
        assert!((1..=lines.len()).contains(&error.line), "{error}");
        let width = lines[error.line - 1].chars().count();
        assert!((1..=width + 1).contains(&error.column), "{error}");
    }
});
