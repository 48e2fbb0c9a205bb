//! The text `golive plan show` prints: a plan's timeline, resolved to PT and UTC when L-Day is known.
