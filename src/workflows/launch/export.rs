//! `/golive export [md|csv]`: a link to the launch record, signed with the board token and
//! valid for a day (see `server::export`, which serves it).

use chrono::TimeDelta;

use crate::domain::signed_link;
use crate::state::AppState;
use crate::workflows::answer::{Answer, Answered, Text};

/// How long an export link opens its file.
pub const VALID_FOR: TimeDelta = TimeDelta::days(1);

/// The link to this launch's record in `format`.
pub fn link(state: &AppState, format: Option<&str>) -> Answered {
    let extension = match format.unwrap_or("md") {
        "md" | "markdown" => "md",
        "csv" => "csv",
        other => {
            let why = format!(
                "`{}` is not an export format: use md (the launch review's first draft) or csv (one row per event). Usage: `/golive export [md|csv]`.",
                crate::domain::excerpt::excerpt(other)
            );
            return Ok(Answer::refused(Text::plain(why)));
        }
    };
    let views = &state.views;
    let (Some(token), Some(base)) = (&views.board_token, &views.public_url) else {
        let why = "Export links need GOLIVE_BOARD_TOKEN and GOLIVE_PUBLIC_URL set where golive runs; `golive export` on that machine writes the record meanwhile.";
        return Ok(Answer::refused(Text::plain(why)));
    };
    let path = format!("/export/{}.{extension}", state.release.id);
    let expires = state.clock.now() + VALID_FOR;
    let signature = signed_link::sign(token.expose(), &path, expires);
    let url = format!(
        "{base}{path}?expires={}&sig={signature}",
        expires.timestamp()
    );
    let text = format!(
        "The launch record, valid for a day: <{url}|{}>",
        path.trim_start_matches("/export/")
    );
    Ok(Answer::done(Text::new(
        format!("The launch record, valid for a day: {url}"),
        text,
    )))
}
