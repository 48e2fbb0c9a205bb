//! The token checks: the bot token and its scopes, and Socket Mode's app token.

use std::sync::Arc;

use super::{slack_failure, Bot, Check, NEEDS_BOT};
use crate::config::SlackConfig;
use crate::slack::checkup::{socket_mode_opens, Checkup};
use crate::slack::port::SlackError;
use crate::slack::scopes::{missing, BOT_SCOPES};
use crate::slack::web::HyperClient;

pub const BOT_TOKEN: &str = "bot token";
pub const SCOPES: &str = "bot token scopes";
const SOCKET_MODE: &str = "Socket Mode app token";

/// Checks the bot token and its scopes (one `auth.test`); the bot for the other checks when the
/// token works.
pub async fn bot(
    slack: &SlackConfig,
    client: Arc<HyperClient>,
    checks: &mut Vec<Check>,
) -> Option<Bot> {
    let Some(token) = &slack.bot_token else {
        checks.push(Check::failed(
            BOT_TOKEN,
            "SLACK_BOT_TOKEN is not set",
            "set SLACK_BOT_TOKEN to the app's Bot User OAuth Token (xoxb-…, on its OAuth & \
             Permissions page once the app is installed)",
        ));
        checks.push(Check::not_run(SCOPES, NEEDS_BOT));
        return None;
    };
    let checkup = Checkup::new(client, &slack.api_url, token.expose());
    let identity = match checkup.identity().await {
        Ok(identity) => identity,
        Err(error) => {
            checks.push(auth_failure(&error, &slack.api_url));
            checks.push(Check::not_run(SCOPES, NEEDS_BOT));
            return None;
        }
    };
    checks.push(Check::passed(
        BOT_TOKEN,
        format!(
            "works: @{} ({}) in {}",
            identity.user, identity.user_id, identity.team
        ),
    ));
    let lacking = missing(&identity.scopes);
    checks.push(if lacking.is_empty() {
        Check::passed(
            SCOPES,
            format!(
                "all {} scopes the app manifest asks for are granted",
                BOT_SCOPES.len()
            ),
        )
    } else {
        Check::failed(
            SCOPES,
            format!("missing {}", lacking.join(", ")),
            "add them as Bot Token Scopes on the app's OAuth & Permissions page (or recreate \
             the app from deploy/slack-app-manifest.yaml), then reinstall the app to the \
             workspace and use the new bot token",
        )
    });
    Some(Bot {
        checkup,
        name: identity.user,
    })
}

fn auth_failure(error: &SlackError, api_url: &str) -> Check {
    match error {
        SlackError::Api(code) => Check::failed(
            BOT_TOKEN,
            format!("Slack refused it (auth.test: {code})"),
            "copy the Bot User OAuth Token (xoxb-…) again from the app's OAuth & Permissions \
             page into SLACK_BOT_TOKEN; reinstall the app if it was uninstalled",
        ),
        SlackError::Unknown(why) => Check::failed(
            BOT_TOKEN,
            format!("cannot reach Slack at {api_url}: {why}"),
            "check the network, and SLACK_API_URL if it is set",
        ),
        SlackError::RateLimited(_) => slack_failure(BOT_TOKEN, "auth.test", error),
    }
}

/// Checks the app-level token where one is set, the way Socket Mode starts.
pub async fn socket_mode(slack: &SlackConfig, client: Option<&Arc<HyperClient>>) -> Check {
    let Some(token) = &slack.app_token else {
        return match slack.signing_secret {
            Some(_) => Check::not_run(
                SOCKET_MODE,
                "SLACK_APP_TOKEN is not set: golive takes events over HTTP \
                 (SLACK_SIGNING_SECRET)",
            ),
            None => Check::failed(
                SOCKET_MODE,
                "neither SLACK_APP_TOKEN nor SLACK_SIGNING_SECRET is set, so golive would \
                 never hear a command or a click",
                "set SLACK_APP_TOKEN for Socket Mode (or SLACK_SIGNING_SECRET for HTTP mode)",
            ),
        };
    };
    let Some(client) = client else {
        return Check::not_run(SOCKET_MODE, "no Slack client (see `bot token`)");
    };
    match socket_mode_opens(client, token.expose()).await {
        Ok(()) => Check::passed(SOCKET_MODE, "opens a Socket Mode connection"),
        Err(SlackError::Api(code)) => Check::failed(
            SOCKET_MODE,
            format!("Slack refused it (apps.connections.open: {code})"),
            "turn Socket Mode on for the app, then put an app-level token (xapp-…) with the \
             connections:write scope from Basic Information → App-Level Tokens in \
             SLACK_APP_TOKEN",
        ),
        Err(error) => slack_failure(SOCKET_MODE, "apps.connections.open", &error),
    }
}
