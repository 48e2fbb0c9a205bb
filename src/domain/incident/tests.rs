use super::*;
use crate::domain::plan::Plan;

fn at(text: &str) -> DateTime<Utc> {
    text.parse().unwrap()
}

fn ladder() -> Vec<EscalationLevel> {
    Plan::embedded().escalation
}

fn incident(severity: Severity) -> Incident {
    Incident::open(
        IncidentId(7),
        severity,
        "checkout fails",
        "U0REPORTER",
        &ladder(),
        at("2026-03-10T17:00:00Z"),
    )
}

#[test]
fn ids_read_like_inc_7_and_parse_back() {
    assert_eq!(IncidentId(7).to_string(), "INC-7");
    assert_eq!("inc-7".parse::<IncidentId>(), Ok(IncidentId(7)));
    assert_eq!("7".parse::<IncidentId>(), Ok(IncidentId(7)));
    assert!("INC-x".parse::<IncidentId>().is_err());
}

#[test]
fn a_new_incident_starts_at_level_one() {
    assert_eq!(incident(Severity::P1).level, 1);
}

#[test]
fn an_unacknowledged_p1_escalates_to_l2_after_fifteen_minutes() {
    let step = incident(Severity::P1)
        .next_step(&ladder(), 0, at("2026-03-10T17:00:00Z"))
        .unwrap();
    assert_eq!(step.to_level, 2);
    assert_eq!(step.due_at, at("2026-03-10T17:15:00Z"));
    assert_eq!(step.reason, Reason::NoAcknowledgement { minutes: 15 });
}

#[test]
fn a_p0_escalates_to_l2_at_once() {
    let now = at("2026-03-10T17:00:00Z");
    let step = incident(Severity::P0).next_step(&ladder(), 1, now).unwrap();
    assert_eq!((step.to_level, step.due_at), (2, now));
    assert_eq!(step.reason, Reason::Condition(EscalationTrigger::P0));
}

#[test]
fn at_l2_the_wait_is_thirty_minutes_from_reaching_it() {
    let mut incident = incident(Severity::P1);
    incident
        .escalate(&ladder(), at("2026-03-10T17:15:00Z"))
        .unwrap();
    let step = incident
        .next_step(&ladder(), 0, at("2026-03-10T17:15:00Z"))
        .unwrap();
    assert_eq!(
        (step.to_level, step.due_at),
        (3, at("2026-03-10T17:45:00Z"))
    );
}

#[test]
fn a_second_open_p0_sends_an_l2_incident_to_l3_at_once() {
    let mut incident = incident(Severity::P0);
    let now = at("2026-03-10T17:00:00Z");
    incident.escalate(&ladder(), now).unwrap();
    let step = incident.next_step(&ladder(), 2, now).unwrap();
    assert_eq!((step.to_level, step.due_at), (3, now));
    assert_eq!(
        step.reason,
        Reason::Condition(EscalationTrigger::MultipleOpenP0)
    );
}

#[test]
fn l3_waits_for_customer_impact_or_rollback_consideration() {
    let mut incident = incident(Severity::P1);
    let now = at("2026-03-10T18:00:00Z");
    incident.escalate(&ladder(), now).unwrap();
    incident.escalate(&ladder(), now).unwrap();
    assert_eq!(incident.next_step(&ladder(), 0, now), None);
    assert!(incident.mark(Mark::RollbackConsidered).unwrap());
    let step = incident.next_step(&ladder(), 0, now).unwrap();
    assert_eq!(step.to_level, 4);
    assert_eq!(
        step.reason,
        Reason::Condition(EscalationTrigger::RollbackConsidered)
    );
}

#[test]
fn l4_is_the_top_of_the_ladder() {
    let mut incident = incident(Severity::P1);
    let now = at("2026-03-10T18:00:00Z");
    for _ in 0..3 {
        incident.escalate(&ladder(), now).unwrap();
    }
    incident.mark(Mark::CustomerImpact).unwrap();
    assert_eq!(incident.level, 4);
    assert_eq!(incident.next_step(&ladder(), 0, now), None);
    assert_eq!(
        incident.escalate(&ladder(), now),
        Err(IncidentError::TopOfLadder(IncidentId(7)))
    );
}

#[test]
fn an_acknowledgement_stops_the_wait() {
    let mut incident = incident(Severity::P1);
    incident
        .acknowledge("U0DANA", at("2026-03-10T17:05:00Z"))
        .unwrap();
    assert_eq!(incident.owner(), Some("U0DANA"));
    assert_eq!(
        incident.next_step(&ladder(), 0, at("2026-03-10T17:05:00Z")),
        None
    );
}

#[test]
fn an_acknowledgement_does_not_stop_a_condition() {
    let mut incident = incident(Severity::P0);
    incident
        .acknowledge("U0DANA", at("2026-03-10T17:01:00Z"))
        .unwrap();
    let step = incident.next_step(&ladder(), 1, at("2026-03-10T17:01:00Z"));
    assert_eq!(step.map(|s| s.to_level), Some(2));
}

#[test]
fn a_second_acknowledgement_names_the_owner() {
    let mut incident = incident(Severity::P2);
    let now = at("2026-03-10T17:05:00Z");
    incident.acknowledge("U0DANA", now).unwrap();
    assert_eq!(
        incident.acknowledge("U0OTHER", now),
        Err(IncidentError::AlreadyOwned {
            id: IncidentId(7),
            owner: "U0DANA".into()
        })
    );
}

#[test]
fn a_resolved_incident_takes_no_more_steps() {
    let mut incident = incident(Severity::P0);
    let now = at("2026-03-10T17:30:00Z");
    incident.resolve("U0DANA", Some("hotfix out"), now).unwrap();
    assert_eq!(incident.next_step(&ladder(), 1, now), None);
    assert_eq!(
        incident.acknowledge("U0DANA", now),
        Err(IncidentError::Resolved(IncidentId(7)))
    );
    assert_eq!(
        incident.resolved.unwrap().note.as_deref(),
        Some("hotfix out")
    );
}

#[test]
fn marking_twice_changes_nothing_the_second_time() {
    let mut incident = incident(Severity::P1);
    assert!(incident.mark(Mark::CustomerImpact).unwrap());
    assert!(!incident.mark(Mark::CustomerImpact).unwrap());
}

#[test]
fn a_level_pages_every_holder_of_its_roles_once() {
    let l3 = ladder().into_iter().find(|l| l.level == 3).unwrap();
    let roles = BTreeMap::from([
        (Role::VpEngineering, vec!["U0VP".to_string()]),
        (
            Role::ReleaseManager,
            vec!["U0RM".to_string(), "U0VP".to_string()],
        ),
    ]);
    assert_eq!(people(&l3, &roles), vec!["U0VP", "U0RM"]);
}
