//! Proves the fake Slack speaks what slack-morphism expects: the real client calls it over
//! HTTP and Socket Mode, and the payload helpers parse as slack-morphism's event models.

use std::collections::HashMap;
use std::sync::{Arc, Once};
use std::time::Duration;

use slack_morphism::errors::SlackClientError;
use slack_morphism::prelude::*;
use slack_morphism::signature_verifier::SlackEventSignatureVerifier;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::fake_slack::{self, FakeSlack, Fault};

const BOT_TOKEN: &str = "xoxb-fake-bot-token";
const APP_TOKEN: &str = "xapp-1-fake-app-token";

fn client_for(fake: &FakeSlack) -> Arc<SlackHyperClient> {
    static CRYPTO: Once = Once::new();
    CRYPTO.call_once(|| {
        // Another test binary module may have installed it first; either provider is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
    let https_or_http = hyper_rustls::HttpsConnectorBuilder::new()
        .with_native_roots()
        .expect("native roots")
        .https_or_http()
        .enable_http1()
        .build();
    let connector =
        SlackClientHyperConnector::from(https_or_http).with_slack_api_url(&fake.api_url());
    Arc::new(SlackClient::new(connector))
}

fn bot_token() -> SlackApiToken {
    SlackApiToken::new(BOT_TOKEN.into())
}

async fn post_text(
    client: &SlackHyperClient,
    channel: &str,
    text: &str,
) -> ClientResult<SlackApiChatPostMessageResponse> {
    let content = SlackMessageContent::new().with_text(text.into());
    let request = SlackApiChatPostMessageRequest::new(channel.into(), content);
    client
        .open_session(&bot_token())
        .chat_post_message(&request)
        .await
}

#[tokio::test]
async fn posted_metadata_comes_back_from_history_only_when_asked_for() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let client = client_for(&fake);
    let token = bot_token();
    let session = client.open_session(&token);
    let metadata = SlackMessageMetadata::new("golive_plan".into())
        .with_event_payload(HashMap::from([("plan_id".to_string(), "42".to_string())]));
    let content = SlackMessageContent::new()
        .with_text("Go-live planned".into())
        .with_metadata(metadata.clone());
    let request = SlackApiChatPostMessageRequest::new("#v4-launch".into(), content);

    let posted = session.chat_post_message(&request).await.expect("post");
    let history = |with_metadata: bool| {
        SlackApiConversationsHistoryRequest::new()
            .with_channel("C0LAUNCH".into())
            .with_include_all_metadata(with_metadata)
    };
    let with = session
        .conversations_history(&history(true))
        .await
        .expect("history");
    let without = session
        .conversations_history(&history(false))
        .await
        .expect("history");

    assert_eq!(posted.channel.0, "C0LAUNCH");
    assert_eq!(posted.message.origin.ts, posted.ts);
    assert_eq!(with.messages.len(), 1);
    assert_eq!(with.messages[0].origin.ts, posted.ts);
    assert_eq!(
        with.messages[0].content.text.as_deref(),
        Some("Go-live planned")
    );
    assert_eq!(with.messages[0].content.metadata, Some(metadata));
    assert_eq!(without.messages[0].content.metadata, None);
    let seen = fake.messages("C0LAUNCH");
    assert_eq!(seen.len(), 1);
    assert_eq!(
        seen[0].metadata.as_ref().unwrap()["event_payload"]["plan_id"],
        "42"
    );
}

#[tokio::test]
async fn history_is_newest_first_and_paginates_with_a_cursor() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let client = client_for(&fake);
    for text in ["one", "two", "three"] {
        post_text(&client, "C0LAUNCH", text).await.expect("post");
    }
    let token = bot_token();
    let session = client.open_session(&token);
    let first = SlackApiConversationsHistoryRequest::new()
        .with_channel("C0LAUNCH".into())
        .with_limit(2);

    let page_one = session
        .conversations_history(&first)
        .await
        .expect("page one");
    let cursor = page_one
        .response_metadata
        .clone()
        .and_then(|meta| meta.next_cursor)
        .expect("cursor");
    let page_two = session
        .conversations_history(&first.clone().with_cursor(cursor))
        .await
        .expect("page two");

    let texts = |page: &SlackApiConversationsHistoryResponse| -> Vec<String> {
        page.messages
            .iter()
            .filter_map(|m| m.content.text.clone())
            .collect()
    };
    assert_eq!(texts(&page_one), ["three", "two"]);
    assert_eq!(page_one.has_more, Some(true));
    assert_eq!(texts(&page_two), ["one"]);
    assert_eq!(page_two.has_more, Some(false));
}

#[tokio::test]
async fn chat_update_changes_what_the_channel_shows() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let client = client_for(&fake);
    let posted = post_text(&client, "C0LAUNCH", "Vote open")
        .await
        .expect("post");
    let content = SlackMessageContent::new().with_text("Vote closed".into());
    let update = SlackApiChatUpdateRequest::new("C0LAUNCH".into(), content, posted.ts.clone());

    let updated = client
        .open_session(&bot_token())
        .chat_update(&update)
        .await
        .expect("update");

    assert_eq!(updated.ts, posted.ts);
    assert_eq!(updated.message.content.text.as_deref(), Some("Vote closed"));
    let seen = fake.messages("C0LAUNCH");
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].text, "Vote closed");
    assert!(seen[0].edited);
    assert_eq!(fake.all_posts().len(), 1, "an edit is not a new post");
}

#[tokio::test]
async fn usergroups_and_users_parse_as_slack_morphism_models() {
    let fake = FakeSlack::start().await;
    fake.add_usergroup("S0SRE", "sre", &["U1", "U2"]);
    fake.add_user("U1", "alice", "Europe/Berlin");
    let client = client_for(&fake);
    let token = bot_token();
    let session = client.open_session(&token);

    let groups = session
        .usergroups_list(&SlackApiUserGroupsListRequest::new().with_include_users(true))
        .await
        .expect("usergroups.list");
    let members = session
        .usergroups_users_list(&SlackApiUserGroupsUsersListRequest::new("S0SRE".into()))
        .await
        .expect("usergroups.users.list");
    let alice = session
        .users_info(&SlackApiUsersInfoRequest::new("U1".into()))
        .await
        .expect("users.info");

    assert_eq!(groups.usergroups.len(), 1);
    assert_eq!(groups.usergroups[0].handle, "sre");
    let users = groups.usergroups[0]
        .users
        .clone()
        .expect("users on request");
    assert_eq!(
        users,
        vec![SlackUserId::new("U1".into()), SlackUserId::new("U2".into())]
    );
    assert_eq!(members.users.len(), 2);
    assert_eq!(alice.user.tz.as_deref(), Some("Europe/Berlin"));
    assert!(matches!(alice.user.tz_offset, Some(3600 | 7200)));
}

#[tokio::test]
async fn channels_ephemerals_views_and_permalinks_parse_as_slack_morphism_models() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let client = client_for(&fake);
    let token = bot_token();
    let session = client.open_session(&token);
    let list =
        SlackApiConversationsListRequest::new().with_types(vec![SlackConversationType::Public]);
    let ephemeral = SlackApiChatPostEphemeralRequest::new(
        "C0LAUNCH".into(),
        "U1".into(),
        SlackMessageContent::new().with_text("Only you".into()),
    );
    let modal = SlackModalView::new("Schedule".into(), vec![]).with_callback_id("schedule".into());
    let open = SlackApiViewsOpenRequest::new("trigger-1".into(), SlackView::Modal(modal));

    let channels = session
        .conversations_list(&list)
        .await
        .expect("conversations.list");
    let join = SlackApiConversationsJoinRequest::new("C0LAUNCH".into());
    let joined = session
        .conversations_join(&join)
        .await
        .expect("conversations.join");
    session
        .chat_post_ephemeral(&ephemeral)
        .await
        .expect("chat.postEphemeral");
    let opened = session.views_open(&open).await.expect("views.open");
    let identity = session.auth_test().await.expect("auth.test");
    let link = SlackApiChatGetPermalinkRequest::new("C0LAUNCH".into(), "1700000000.000100".into());
    let permalink = session
        .chat_get_permalink(&link)
        .await
        .expect("chat.getPermalink");

    assert_eq!(channels.channels.len(), 1);
    assert_eq!(channels.channels[0].name.as_deref(), Some("v4-launch"));
    assert_eq!(joined.channel.flags.is_member, Some(true));
    assert_eq!(fake.ephemerals()[0].user, "U1");
    assert_eq!(fake.ephemerals()[0].text, "Only you");
    assert!(!opened.view.state_params.id.0.is_empty());
    assert_eq!(fake.views_opened()[0]["callback_id"], "schedule");
    assert_eq!(identity.user_id.0, fake_slack::BOT_USER_ID);
    assert!(permalink
        .permalink
        .as_str()
        .ends_with("/archives/C0LAUNCH/p1700000000000100"));
}

#[tokio::test]
async fn membership_deactivated_users_and_granted_scopes_read_as_slack_sends_them() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    fake.add_user("U1", "alice", "Europe/Berlin");
    fake.deactivate_user("U1");
    fake.grant_scopes(&["chat:write", "users:read"]);
    let client = client_for(&fake);
    let token = bot_token();
    let session = client.open_session(&token);
    let info = |channel: &str| SlackApiConversationsInfoRequest::new(channel.into());

    let before = session
        .conversations_info(&info("C0LAUNCH"))
        .await
        .expect("conversations.info");
    fake.join("C0LAUNCH");
    let after = session
        .conversations_info(&info("C0LAUNCH"))
        .await
        .expect("conversations.info");
    let unknown = session.conversations_info(&info("C0NOPE")).await;
    let alice = session
        .users_info(&SlackApiUsersInfoRequest::new("U1".into()))
        .await
        .expect("users.info");
    let answer = raw_get(&fake, "/api/auth.test", Some(BOT_TOKEN)).await;

    assert_eq!(before.channel.flags.is_member, Some(false));
    assert_eq!(after.channel.flags.is_member, Some(true));
    assert!(
        matches!(unknown, Err(SlackClientError::ApiError(ref e)) if e.code == "channel_not_found"),
        "{unknown:?}"
    );
    assert_eq!(alice.user.deleted, Some(true));
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("x-oauth-scopes: chat:write,users:read\r\n"),
        "{answer}"
    );
}

#[tokio::test]
async fn response_url_posts_are_recorded_and_acknowledged() {
    let fake = FakeSlack::start().await;
    let client = client_for(&fake);
    let url: SlackResponseUrl = SlackResponseUrl::new(fake.response_url("r1").parse().unwrap());
    let reply = SlackApiPostWebhookMessageRequest::new(
        SlackMessageContent::new().with_text("Vote counted".into()),
    )
    .with_replace_original(true);

    client
        .respond_to_event(&url, &reply)
        .await
        .expect("response_url post");

    assert_eq!(fake.responses_to("r1").len(), 1);
    assert_eq!(fake.responses()[0]["text"], "Vote counted");
    assert_eq!(fake.responses()[0]["replace_original"], true);
}

#[tokio::test]
async fn wait_for_posts_returns_once_enough_messages_arrive() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    let client = client_for(&fake);
    let poster = tokio::spawn(async move {
        for text in ["first", "second"] {
            post_text(&client, "C0LAUNCH", text).await.expect("post");
        }
    });

    let posts = fake.wait_for_posts(2, Duration::from_secs(5)).await;
    let none_more = fake.wait_for_posts(3, Duration::from_millis(50)).await;
    poster.await.unwrap();

    assert_eq!(posts.len(), 2);
    assert_eq!(none_more.len(), 2, "times out with what arrived");
}

#[tokio::test]
async fn a_rate_limit_fault_surfaces_as_rate_limit_error_with_retry_after() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    fake.fail_next(
        "chat.postMessage",
        Fault::RateLimited {
            retry_after_secs: 7,
        },
    );
    let client = client_for(&fake);

    let limited = post_text(&client, "C0LAUNCH", "hello").await;
    let retried = post_text(&client, "C0LAUNCH", "hello").await;

    match limited {
        Err(SlackClientError::RateLimitError(error)) => {
            assert_eq!(error.retry_after, Some(Duration::from_secs(7)));
            assert_eq!(error.code.as_deref(), Some("ratelimited"));
        }
        other => panic!("expected a rate limit error, got {other:?}"),
    }
    assert!(retried.is_ok());
    assert_eq!(fake.calls("chat.postMessage"), 2);
    assert_eq!(fake.all_posts().len(), 1, "the limited call stored nothing");
}

#[tokio::test]
async fn other_faults_fail_the_call_the_way_slack_would() {
    let fake = FakeSlack::start().await;
    fake.add_channel("C0LAUNCH", "v4-launch");
    fake.fail_next(
        "chat.postMessage",
        Fault::ApiError("channel_not_found".into()),
    );
    fake.fail_next("chat.postMessage", Fault::ServerError(503));
    fake.fail_next("chat.postMessage", Fault::DropAfterStore);
    let client = client_for(&fake);

    let api_error = post_text(&client, "C0LAUNCH", "one").await;
    let server_error = post_text(&client, "C0LAUNCH", "two").await;
    let dropped = post_text(&client, "C0LAUNCH", "three").await;

    assert!(
        matches!(api_error, Err(SlackClientError::ApiError(e)) if e.code == "channel_not_found")
    );
    assert!(
        matches!(server_error, Err(SlackClientError::HttpError(e)) if e.status_code.as_u16() == 503)
    );
    assert!(
        matches!(dropped, Err(SlackClientError::HttpProtocolError(_))),
        "a dropped connection is a transport error: {dropped:?}"
    );
    let stored: Vec<String> = fake.all_posts().into_iter().map(|post| post.text).collect();
    assert_eq!(stored, ["three"], "only the dropped call took effect");
}

#[tokio::test]
async fn requests_without_a_bot_token_or_to_unknown_methods_are_refused() {
    let fake = FakeSlack::start().await;

    let unauthenticated = raw_get(&fake, "/api/auth.test", None).await;
    let unknown = raw_get(&fake, "/api/chat.teleport", Some(BOT_TOKEN)).await;
    let app_token_on_bot_method = raw_get(&fake, "/api/auth.test", Some(APP_TOKEN)).await;

    assert!(
        unauthenticated.contains(r#""error":"not_authed""#),
        "{unauthenticated}"
    );
    assert!(unknown.contains(r#""error":"unknown_method""#), "{unknown}");
    assert!(
        app_token_on_bot_method.contains(r#""ok":false"#),
        "{app_token_on_bot_method}"
    );
}

/// A bare HTTP/1.1 GET, so a test can send what slack-morphism never would.
async fn raw_get(fake: &FakeSlack, path: &str, token: Option<&str>) -> String {
    let address = fake.base_url().trim_start_matches("http://").to_string();
    let mut stream = tokio::net::TcpStream::connect(&address)
        .await
        .expect("connect");
    let auth = token
        .map(|token| format!("Authorization: Bearer {token}\r\n"))
        .unwrap_or_default();
    let request =
        format!("GET {path} HTTP/1.1\r\nHost: {address}\r\n{auth}Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).await.expect("read");
    response
}

async fn reply_to_command(
    event: SlackCommandEvent,
    _client: Arc<SlackHyperClient>,
    _state: SlackClientEventsUserState,
) -> UserCallbackResult<SlackCommandEventResponse> {
    let text = format!("planning {}", event.text.unwrap_or_default());
    let content = SlackMessageContent::new().with_text(text);
    Ok(SlackCommandEventResponse::new(content)
        .with_response_type(SlackMessageResponseType::Ephemeral))
}

fn socket_mode_listener(
    fake: &FakeSlack,
    connections: u32,
) -> SlackClientSocketModeListener<SlackClientHyperHttpsConnector> {
    let callbacks = SlackSocketModeListenerCallbacks::new().with_command_events(reply_to_command);
    let environment = Arc::new(SlackClientEventsListenerEnvironment::new(client_for(fake)));
    let config = SlackClientSocketModeConfig::new().with_max_connections_count(connections);
    SlackClientSocketModeListener::new(&config, environment, callbacks)
}

#[tokio::test]
async fn a_socket_mode_listener_acks_a_slash_command_with_its_reply() {
    let fake = FakeSlack::start().await;
    let listener = socket_mode_listener(&fake, 2);
    listener
        .listen_for(&SlackApiToken::new(APP_TOKEN.into()))
        .await
        .expect("listen");
    listener.start().await;

    let connected = fake.socket_connected(Duration::from_secs(5)).await;
    let payload = fake_slack::slash_command_payload(
        "U1",
        "C0LAUNCH",
        "checkout-v4",
        &fake.response_url("c1"),
    );
    let ack = fake.send_envelope("slash_commands", payload, true).await;
    listener.shutdown().await;

    assert!(connected);
    assert!(
        ack["envelope_id"].as_str().is_some_and(|id| !id.is_empty()),
        "{ack}"
    );
    assert_eq!(ack["payload"]["text"], "planning checkout-v4");
    assert_eq!(ack["payload"]["response_type"], "ephemeral");
    assert!(fake.calls("apps.connections.open") >= 1);
}

#[tokio::test]
async fn a_disconnect_frame_makes_the_listener_reconnect() {
    let fake = FakeSlack::start().await;
    let listener = socket_mode_listener(&fake, 1);
    listener
        .listen_for(&SlackApiToken::new(APP_TOKEN.into()))
        .await
        .expect("listen");
    listener.start().await;
    assert!(fake.socket_connected(Duration::from_secs(5)).await);

    fake.disconnect();
    let opened = fake
        .wait_for_calls("apps.connections.open", 2, Duration::from_secs(5))
        .await;
    listener.shutdown().await;

    assert_eq!(
        opened, 2,
        "slack-morphism parsed the disconnect and fetched a fresh URL"
    );
}

#[test]
fn sign_matches_slacks_documented_example_and_slack_morphisms_verifier() {
    let secret = "8f742231b10e8888abcd99yyyzzz85a5";
    let body = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
    let now = chrono::Utc::now().timestamp();
    let verifier = SlackEventSignatureVerifier::new(&SlackSigningSecret::new(secret.into()));

    let documented = fake_slack::sign(secret, 1531420618, body);
    let fresh = fake_slack::sign(secret, now, body);

    assert_eq!(
        documented,
        "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
    );
    assert!(verifier.verify(&fresh, body, &now.to_string()).is_ok());
}

#[test]
fn a_slash_command_form_parses_as_a_command_event() {
    let form = fake_slack::slash_command_form(
        "U1",
        "C0LAUNCH",
        "plan checkout-v4",
        "http://127.0.0.1:9/response/c1",
    );

    let command: SlackCommandEvent = serde_urlencoded::from_str(&form).expect("command form");

    assert_eq!(command.user_id.0, "U1");
    assert_eq!(command.channel_id.0, "C0LAUNCH");
    assert_eq!(command.command.0, "/golive");
    assert_eq!(command.text.as_deref(), Some("plan checkout-v4"));
    assert_eq!(
        command.response_url.0.as_str(),
        "http://127.0.0.1:9/response/c1"
    );
}

#[test]
fn a_button_click_parses_as_block_actions_with_the_clicked_message() {
    let message = fake_slack::Message {
        channel: "C0LAUNCH".into(),
        ts: "1700000000.000300".into(),
        thread_ts: None,
        text: "Vote".into(),
        blocks: serde_json::json!([{"type": "actions", "block_id": "vote", "elements": [
            {"type": "button", "action_id": "vote_no_go", "text": {"type": "plain_text", "text": "No-go"}, "value": "x"}
        ]}]),
        metadata: None,
        edited: false,
    };

    let payload = fake_slack::block_actions_payload(
        "U2",
        &message,
        "vote",
        "vote_no_go",
        "{\"plan_id\":1}",
        "http://127.0.0.1:9/response/a1",
    );
    let event: SlackInteractionEvent =
        serde_json::from_value(payload.clone()).expect("block_actions");

    let SlackInteractionEvent::BlockActions(click) = event else {
        panic!("not block_actions: {payload}")
    };
    let action = &click.actions.expect("actions")[0];
    assert_eq!(action.action_id.0, "vote_no_go");
    assert_eq!(action.value.as_deref(), Some("{\"plan_id\":1}"));
    assert_eq!(click.user.expect("user").id.0, "U2");
    assert_eq!(
        click.message.expect("message").origin.ts.0,
        "1700000000.000300"
    );
    assert_eq!(payload["actions"][0]["text"]["text"], "No-go");
    assert!(payload["actions"][0].get("style").is_none());
}

#[test]
fn a_view_submission_parses_with_its_state_values() {
    let view = serde_json::json!({"type": "modal", "callback_id": "schedule_go_live",
        "title": {"type": "plain_text", "text": "Schedule"}, "blocks": []});
    let values = serde_json::json!({"window_start": {"date": {"type": "datepicker", "selected_date": "2026-01-05"}}});

    let payload = fake_slack::view_submission_payload("U1", &view, values);
    let event: SlackInteractionEvent =
        serde_json::from_value(payload.clone()).expect("view_submission");

    let SlackInteractionEvent::ViewSubmission(submission) = event else {
        panic!("not view_submission: {payload}")
    };
    let state = submission.view.state_params.state.expect("state");
    let date = &state.values[&"window_start".into()][&"date".into()];
    assert_eq!(date.selected_date.as_deref(), Some("2026-01-05"));
    assert_eq!(submission.user.id.0, "U1");
}

#[test]
fn events_parse_as_push_events() {
    let mention = serde_json::json!({"type": "app_mention", "user": "U1", "text": "<@U0BOT> status",
        "ts": "1700000050.000200", "channel": "C0LAUNCH", "event_ts": "1700000050.000200"});

    let callback: SlackPushEvent =
        serde_json::from_value(fake_slack::event_callback("Ev42", mention))
            .expect("event_callback");
    let verification: SlackPushEvent =
        serde_json::from_value(fake_slack::url_verification("abc")).expect("url_verification");

    let SlackPushEvent::EventCallback(callback) = callback else {
        panic!("not an event_callback")
    };
    assert_eq!(callback.event_id.0, "Ev42");
    assert!(matches!(
        callback.event,
        SlackEventCallbackBody::AppMention(_)
    ));
    assert!(matches!(verification, SlackPushEvent::UrlVerification(v) if v.challenge == "abc"));
}
