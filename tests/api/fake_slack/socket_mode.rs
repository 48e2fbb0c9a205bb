//! The fake Socket Mode server: accepts WebSockets at the URL `apps.connections.open`
//! hands out, greets each with `hello`, sends envelopes to one connection at a time and
//! hands the client's ack frames back to whoever sent the envelope.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::Message as Frame;

use super::state::{Shared, Socket};
use super::{FakeSlack, APP_ID};

/// How long a test waits for a client to connect, and for its ack.
const WAIT: Duration = Duration::from_secs(5);

pub(super) async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut next_socket_id = 0;
    while let Ok((stream, _)) = listener.accept().await {
        next_socket_id += 1;
        tokio::spawn(serve_socket(stream, shared.clone(), next_socket_id));
    }
}

/// One client connection: `hello`, then outgoing frames and incoming acks until it closes.
/// Reading also answers the client's pings, which tungstenite does on its own.
async fn serve_socket(stream: TcpStream, shared: Arc<Shared>, id: u64) {
    let Ok(mut socket) = tokio_tungstenite::accept_async(stream).await else {
        return;
    };
    let num_connections = shared.lock().sockets.len() + 1;
    if socket
        .send(text_frame(&hello(num_connections)))
        .await
        .is_err()
    {
        return;
    }
    let (outgoing, mut to_send) = mpsc::unbounded_channel();
    shared.lock().sockets.push(Socket { id, outgoing });
    shared.notify_changed();

    loop {
        tokio::select! {
            frame = to_send.recv() => {
                let Some(frame) = frame else { break };
                if socket.send(Frame::Text(frame.into())).await.is_err() {
                    break;
                }
            }
            incoming = socket.next() => match incoming {
                Some(Ok(Frame::Text(text))) => receive_ack(&shared, &text),
                Some(Ok(Frame::Close(_)) | Err(_)) | None => break,
                Some(Ok(_)) => {}
            },
        }
    }
    shared.lock().sockets.retain(|socket| socket.id != id);
    shared.notify_changed();
}

/// The first frame, with the fields slack-morphism requires: `num_connections`,
/// `connection_info.app_id` and `debug_info.host`.
fn hello(num_connections: usize) -> Value {
    json!({
        "type": "hello",
        "num_connections": num_connections,
        "debug_info": {
            "host": "applink-fake-1",
            "build_number": 1,
            "approximate_connection_time": 18060,
        },
        "connection_info": {"app_id": APP_ID},
    })
}

fn text_frame(json: &Value) -> Frame {
    Frame::Text(json.to_string().into())
}

fn receive_ack(shared: &Shared, text: &str) {
    let Ok(ack) = serde_json::from_str::<Value>(text) else {
        return;
    };
    let Some(envelope_id) = ack["envelope_id"].as_str() else {
        return;
    };
    let waiting = shared.lock().pending_acks.remove(envelope_id);
    if let Some(waiting) = waiting {
        let _ = waiting.send(ack);
    }
}

pub(super) async fn send_envelope(
    fake: &FakeSlack,
    kind: &str,
    payload: Value,
    accepts_response_payload: bool,
) -> Value {
    assert!(
        fake.socket_connected(WAIT).await,
        "no Socket Mode client connected to the fake Slack"
    );
    let shared = &fake.shared;
    let (ack_sender, ack) = oneshot::channel();
    let envelope_id = {
        let mut state = shared.lock();
        let envelope_id = envelope_uuid(state.next_number());
        let mut envelope = json!({
            "envelope_id": envelope_id,
            "type": kind,
            "payload": payload,
            "accepts_response_payload": accepts_response_payload,
        });
        if kind == "events_api" {
            envelope["retry_attempt"] = 0.into();
            envelope["retry_reason"] = "".into();
        }
        state.pending_acks.insert(envelope_id.clone(), ack_sender);
        assert!(
            state.send_to_next_socket(&envelope.to_string()),
            "every Socket Mode connection closed before the envelope could be sent"
        );
        envelope_id
    };
    match tokio::time::timeout(WAIT, ack).await {
        Ok(Ok(ack)) => ack,
        _ => {
            shared.lock().pending_acks.remove(&envelope_id);
            Value::Null
        }
    }
}

/// A UUID-shaped envelope id like Slack's, unique within this fake.
fn envelope_uuid(number: u64) -> String {
    format!("00000000-0000-4000-8000-{number:012x}")
}

/// Sends `disconnect` to every open connection; slack-morphism then closes the socket and
/// connects again through `apps.connections.open`.
pub(super) fn disconnect_all(shared: &Shared, reason: &str) {
    let frame = json!({
        "type": "disconnect",
        "reason": reason,
        "debug_info": {"host": "applink-fake-1"},
    })
    .to_string();
    for socket in &shared.lock().sockets {
        let _ = socket.outgoing.send(frame.clone());
    }
}
