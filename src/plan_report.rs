//! The text `golive plan show` prints: a plan's timeline, resolved to the plan's zone and UTC
//! when L-Day is known, and relative to L-Day otherwise.

use std::fmt::Write;

use chrono::NaiveDate;

use crate::domain::plan::Plan;
use crate::domain::timeline::{Occurrence, OccurrenceKind};

/// Human-readable resolved timeline: each occurrence with day label, local time and UTC time;
/// without a launch date, relative days only.
pub fn show(plan: &Plan, launch: Option<NaiveDate>) -> String {
    let release = &plan.release;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {} \"{}\" ({}) in {}",
        release.name,
        release.version,
        release.codename,
        release.id(),
        release.channel
    );
    let Some(launch) = launch else {
        let _ = writeln!(
            out,
            "L-Day: not set; times are {} wall-clock times\n",
            release.timezone
        );
        // Any date gives the same relative days and local times, so lay the plan out on one.
        for occurrence in plan.timeline(NaiveDate::default()) {
            out.push_str(&relative_line(plan, &occurrence));
        }
        return out;
    };
    let _ = writeln!(out, "L-Day: {launch} ({})\n", release.timezone);
    for occurrence in plan.timeline(launch) {
        out.push_str(&resolved_line(plan, &occurrence));
    }
    out
}

fn resolved_line(plan: &Plan, occurrence: &Occurrence) -> String {
    let local = occurrence.at.with_timezone(&plan.release.timezone);
    let mut line = format!(
        "{:<6} {} {} {}  ({} UTC)  {:<10} {}",
        occurrence.day,
        local.format("%a %Y-%m-%d"),
        local.format("%H:%M"),
        local.format("%Z"),
        occurrence.at.format("%Y-%m-%d %H:%M"),
        kind_label(occurrence.kind),
        occurrence.title,
    );
    finish_line(plan, occurrence, &mut line);
    line
}

fn relative_line(plan: &Plan, occurrence: &Occurrence) -> String {
    let local = occurrence.at.with_timezone(&plan.release.timezone);
    let mut line = format!(
        "{:<6} {}  {:<10} {}",
        occurrence.day,
        local.format("%H:%M"),
        kind_label(occurrence.kind),
        occurrence.title,
    );
    finish_line(plan, occurrence, &mut line);
    line
}

fn finish_line(plan: &Plan, occurrence: &Occurrence, line: &mut String) {
    if let Some(owner) = &occurrence.owner {
        let _ = write!(line, " [{}]", plan.owner_name(owner));
    }
    line.push('\n');
    for detail in occurrence.detail.iter().flat_map(|detail| detail.lines()) {
        let _ = writeln!(line, "{:>8}{detail}", "");
    }
}

fn kind_label(kind: OccurrenceKind) -> &'static str {
    match kind {
        OccurrenceKind::Milestone => "milestone",
        OccurrenceKind::LaunchWeek => "week",
        OccurrenceKind::PreLaunchWeek => "pre-launch",
        OccurrenceKind::PhaseStart => "phase",
        OccurrenceKind::PhaseMilestone => "phase",
        OccurrenceKind::Recurring => "recurring",
        OccurrenceKind::ChecklistDue => "checklist",
        OccurrenceKind::GoNoGoDeadline => "go/no-go",
        OccurrenceKind::Scorecard => "scorecard",
        OccurrenceKind::FlagStep => "rollout",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resolved_report_shows_pacific_and_utc_times() {
        let report = show(&Plan::embedded(), "2026-03-06".parse().ok());
        let line = report
            .lines()
            .find(|line| line.contains("Final deployment verification"))
            .unwrap();
        assert!(line.starts_with("L      Fri 2026-03-06 06:00 PST  (2026-03-06 14:00 UTC)  milestone  Final deployment verification [SRE]"), "{line}");
    }

    #[test]
    fn a_report_without_launch_date_shows_relative_days_only() {
        let report = show(&Plan::embedded(), None);
        assert!(report.contains("L-Day: not set"));
        assert!(!report.contains("UTC"));
        let line = report
            .lines()
            .find(|line| line.contains("Go/no-go voting closes"))
            .unwrap();
        assert!(line.starts_with("L-1    15:00  go/no-go   "), "{line}");
    }
}
