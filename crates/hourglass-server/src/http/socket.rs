//! The WebSocket of each tab: the page's session, the socket loop (messages in, replies and
//! snapshots out at most every `SNAPSHOT_PERIOD`). It knows no page: it holds a `JobLink`.

use std::sync::Arc;

use axum::{
    extract::{
        Query, State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    response::{IntoResponse, Response},
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::mpsc;

use super::{App, error::ApiError};
use crate::{
    MAX_MESSAGE_BYTES, SNAPSHOT_PERIOD, pages,
    runtime::{self, Outgoing, wire::Encoded},
};

#[derive(Deserialize)]
pub(super) struct WsQuery {
    session: Option<String>,
    page: Option<String>,
}

pub(super) async fn ws(
    State(app): State<Arc<App>>,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let page = match pages::find(q.page.as_deref().unwrap_or("glass")) {
        Ok(p) => p,
        Err(e) => return ApiError::from(e).into_response(),
    };
    upgrade
        .max_message_size(MAX_MESSAGE_BYTES)
        .max_frame_size(MAX_MESSAGE_BYTES)
        .on_upgrade(move |socket| connection(app, socket, page, q.session))
}

type Sink = futures_util::stream::SplitSink<WebSocket, Message>;

async fn send_json(socket: &mut Sink, v: serde_json::Value) -> bool {
    socket
        .send(Message::Text(v.to_string().into()))
        .await
        .is_ok()
}

async fn send_frame(socket: &mut Sink, f: &runtime::Frame) -> bool {
    let m = match f.encode() {
        Encoded::Text(t) => Message::Text(t.into()),
        Encoded::Binary(b) => Message::Binary(b.into()),
    };
    socket.send(m).await.is_ok()
}

/// Carries one tab's messages to its session's job and the job's snapshots, answers and
/// errors back. It knows no page: every page's job is a [`runtime::JobLink`].
async fn connection(
    app: Arc<App>,
    socket: WebSocket,
    page: &'static pages::PageEntry,
    session: Option<String>,
) {
    let (mut tx, mut rx) = socket.split();
    let (id, link) = match app.sessions.attach(page, session.as_deref(), &app.context) {
        Ok(s) => s,
        Err(e) => {
            send_json(&mut tx, e.to_json()).await;
            let _ = tx.send(Message::Close(None)).await;
            return;
        }
    };
    let mut hello = link.greeting();
    hello["type"] = json!("session");
    hello["id"] = json!(id);
    if send_json(&mut tx, hello).await {
        let mut snapshots = link.snapshots();
        snapshots.mark_changed();
        let (reply_tx, mut replies) = mpsc::channel::<Outgoing>(64);
        let mut tick = tokio::time::interval(SNAPSHOT_PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut closing = app.closing.clone();
        loop {
            let sent = tokio::select! {
                _ = closing.changed() => {
                    let _ = tx.send(Message::Close(None)).await;
                    break;
                }
                msg = rx.next() => match msg {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Text(text))) => match link.deliver(&text, &reply_tx) {
                        Ok(()) => true,
                        Err(e) => send_json(&mut tx, e.to_json()).await && e.code != "ended",
                    },
                    Some(Ok(Message::Binary(_))) => {
                        let e = runtime::WireError::malformed("binary messages are not accepted; send JSON text");
                        send_json(&mut tx, e.to_json()).await
                    }
                    Some(Ok(_)) => true,
                },
                Some(out) = replies.recv() => match out {
                    Outgoing::Frame(f) => send_frame(&mut tx, &f).await,
                    Outgoing::Error(e) => send_json(&mut tx, e.to_json()).await,
                },
                _ = tick.tick() => {
                    if snapshots.has_changed().unwrap_or(false) {
                        let f = snapshots.borrow_and_update().clone();
                        send_frame(&mut tx, &f).await
                    } else {
                        true
                    }
                }
            };
            if !sent {
                break;
            }
        }
    }
    app.sessions.detach(&id);
}
