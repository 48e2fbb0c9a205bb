//! Read-only views of a launch drawn from the store: the war-room board.

pub mod board;
pub mod home;
