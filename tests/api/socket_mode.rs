//! Socket Mode gives the same answers as HTTP mode.

use std::time::Duration;

use crate::fake_slack::slash_command_payload;
use crate::harness::{spawn_app, Options, CHANNEL, MEMBER, RM};

#[tokio::test]
async fn socket_mode_and_http_mode_answer_alike() {
    let app = spawn_app(Options {
        socket_mode: true,
        ..Options::default()
    })
    .await;
    assert!(app.fake.socket_connected(Duration::from_secs(5)).await);

    let payload = slash_command_payload(
        RM,
        CHANNEL,
        "role on-call <@U0DANA>",
        &app.fake.response_url("s"),
    );
    let ack = app
        .fake
        .send_envelope("slash_commands", payload, true)
        .await;
    assert_eq!(ack["payload"]["response_type"], "ephemeral");
    assert!(
        ack["payload"]["text"]
            .as_str()
            .unwrap()
            .contains("On-Call is now held by U0DANA"),
        "{ack}"
    );

    for text in ["status", "role", "help", "bogus"] {
        let payload = slash_command_payload(MEMBER, CHANNEL, text, &app.fake.response_url("s"));
        let over_socket = app
            .fake
            .send_envelope("slash_commands", payload, true)
            .await;
        let over_http = app.command(MEMBER, text).await.json();
        assert_eq!(over_socket["payload"]["text"], over_http["text"], "{text}");
        assert_eq!(
            over_socket["payload"]["blocks"], over_http["blocks"],
            "{text}"
        );
    }
}
