//! Hourglass's local web app: the pages, a JSON health endpoint, and a WebSocket per tab
//! that drives a training job on a worker thread.
//!
//! Security: binds loopback by default; every request and WebSocket upgrade must carry an
//! allowed Host (DNS rebinding fails) and, when it has one, an allowed Origin (another site's
//! page cannot drive it); with a token, every request must present it.

mod assets;
pub mod frames;
pub mod glass_job;
pub mod latent3d_job;
mod pace;
pub mod protocol;
mod session;

/// Helpers for the jobs' unit tests.
#[cfg(test)]
mod test_support {
    use std::{
        sync::Arc,
        thread,
        time::{Duration, Instant},
    };

    use tokio::sync::watch;

    /// Polls the latest snapshot until `pred` holds; panics after `limit`, naming the last
    /// snapshot (`describe`).
    pub fn wait_for<T>(
        rx: &mut watch::Receiver<Arc<T>>,
        limit: Duration,
        describe: impl Fn(&T) -> String,
        pred: impl Fn(&T) -> bool,
    ) -> Arc<T> {
        let start = Instant::now();
        loop {
            let s = rx.borrow().clone();
            if pred(&s) {
                return s;
            }
            assert!(
                start.elapsed() < limit,
                "condition not reached; last snapshot: {}",
                describe(&s)
            );
            thread::sleep(Duration::from_millis(5));
        }
    }
}

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{
        Query, Request, State,
        ws::{Message, WebSocket, WebSocketUpgrade},
    },
    http::{HeaderMap, StatusCode, header},
    middleware::{self, Next},
    response::{IntoResponse, Response},
    routing::get,
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::{net::TcpListener, sync::watch};

pub use session::{Page, Sessions};

use session::{Command, Link};

/// Largest WebSocket message accepted from a page (an upload of 2,000 points fits).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Most sessions (tabs) at once; each owns one training job.
pub const MAX_SESSIONS: usize = 16;
/// How long a session outlives its last connection (a reload reconnects within it).
pub const DEFAULT_GRACE: Duration = Duration::from_secs(10);
/// Snapshots are sent to a page at most this often (~30 per second).
pub const SNAPSHOT_PERIOD: Duration = Duration::from_millis(33);

/// How the server is reached and guarded.
#[derive(Debug, Clone)]
pub struct Config {
    /// `host:port` values a request's Host header may carry.
    pub allowed_hosts: Vec<String>,
    pub token: Option<String>,
    pub grace: Duration,
}

impl Config {
    /// The allowed Host values for a server bound to `addr` (loopback names when it is a
    /// loopback address).
    pub fn for_address(addr: SocketAddr, token: Option<String>) -> Self {
        let port = addr.port();
        let mut allowed_hosts = vec![format!("{}:{port}", host_text(addr))];
        if addr.ip().is_loopback() {
            for h in ["127.0.0.1", "localhost", "[::1]"] {
                let v = format!("{h}:{port}");
                if !allowed_hosts.contains(&v) {
                    allowed_hosts.push(v);
                }
            }
        }
        Config {
            allowed_hosts,
            token,
            grace: DEFAULT_GRACE,
        }
    }
}

fn host_text(addr: SocketAddr) -> String {
    match addr {
        SocketAddr::V4(a) => a.ip().to_string(),
        SocketAddr::V6(a) => format!("[{}]", a.ip()),
    }
}

struct App {
    config: Config,
    sessions: Sessions,
    /// Becomes true when the server shuts down; open connections close then.
    closing: watch::Receiver<bool>,
}

fn refuse(status: StatusCode, msg: String) -> Response {
    (status, axum::Json(json!({"error": msg}))).into_response()
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| {
            c.trim()
                .strip_prefix("hourglass_token=")
                .map(str::to_string)
        })
}

fn query_token(req: &Request) -> Option<String> {
    req.uri()
        .query()?
        .split('&')
        .find_map(|kv| kv.strip_prefix("token=").map(str::to_string))
}

/// Checks Host, Origin and the token on every request and upgrade.
async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !app.config.allowed_hosts.contains(&host) {
        return refuse(
            StatusCode::FORBIDDEN,
            format!("Host '{host}' is not allowed"),
        );
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
        if !app
            .config
            .allowed_hosts
            .iter()
            .any(|h| origin == format!("http://{h}"))
        {
            return refuse(
                StatusCode::FORBIDDEN,
                format!("Origin '{origin}' is not allowed"),
            );
        }
    }
    let mut set_cookie = None;
    if let Some(token) = &app.config.token {
        let from_query = query_token(&req);
        let bearer = headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::to_string);
        let presented = [from_query.clone(), bearer, cookie_token(headers)];
        if !presented.iter().flatten().any(|t| t == token) {
            return refuse(
                StatusCode::UNAUTHORIZED,
                "a valid token is required (open the URL the server printed)".into(),
            );
        }
        if from_query.as_deref() == Some(token.as_str()) {
            set_cookie = Some(format!(
                "hourglass_token={token}; HttpOnly; SameSite=Strict; Path=/"
            ));
        }
    }
    let mut resp = next.run(req).await;
    if let Some(c) = set_cookie
        && let Ok(v) = c.parse()
    {
        resp.headers_mut().insert(header::SET_COOKIE, v);
    }
    resp
}

async fn health(State(app): State<Arc<App>>) -> Response {
    axum::Json(json!({"status": "ok", "version": env!("CARGO_PKG_VERSION"), "sessions": app.sessions.count()})).into_response()
}

async fn pages() -> Response {
    let list: Vec<_> = assets::PAGES
        .iter()
        .map(|(path, title)| json!({"path": path, "title": title}))
        .collect();
    axum::Json(json!(list)).into_response()
}

#[derive(Deserialize)]
struct WsQuery {
    session: Option<String>,
    page: Option<String>,
}

async fn ws(
    State(app): State<Arc<App>>,
    Query(q): Query<WsQuery>,
    upgrade: WebSocketUpgrade,
) -> Response {
    let page = match q.page.as_deref().unwrap_or("glass").parse::<Page>() {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
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

/// What a page's message asks of the connection.
enum Reply {
    /// Nothing to say (the command went to the job).
    None,
    Error(String),
    Frame(Message),
    /// The job is gone.
    End,
}

/// Handles one text message from a page.
fn handle(app: &App, id: &str, link: &Link, text: &str) -> Reply {
    let cmd = match link {
        Link::Glass(_) => protocol::glass::parse(text).map(Command::Glass),
        Link::Latent3d(snapshots, timeline) => match protocol::latent3d::parse(text) {
            Ok(protocol::latent3d::Latent3dRequest::Command(c)) => Ok(Command::Latent3d(c)),
            Ok(protocol::latent3d::Latent3dRequest::Moment(i)) => {
                let (m, len) = {
                    let t = timeline.lock().expect("timeline");
                    (t.get(i), t.len())
                };
                return match m {
                    Some(m) => {
                        let snap = snapshots.borrow().clone();
                        Reply::Frame(Message::Binary(
                            frames::latent3d(&snap, Some((i, &m))).into(),
                        ))
                    }
                    None => Reply::Error(format!(
                        "timeline moment {i} does not exist (the timeline has {len})"
                    )),
                };
            }
            Err(e) => Err(e),
        },
    };
    match cmd {
        Ok(cmd) => {
            if app.sessions.send(id, cmd) {
                Reply::None
            } else {
                Reply::End
            }
        }
        Err(message) => Reply::Error(message),
    }
}

/// The latest snapshot as a message, if it changed since the last one sent.
fn latest(link: &mut Link) -> Option<Message> {
    match link {
        Link::Glass(rx) => {
            if !rx.has_changed().unwrap_or(false) {
                return None;
            }
            let snap = rx.borrow_and_update().clone();
            let mut v = serde_json::to_value(&*snap).unwrap_or_default();
            v["type"] = json!("snapshot");
            Some(Message::Text(v.to_string().into()))
        }
        Link::Latent3d(rx, _) => {
            if !rx.has_changed().unwrap_or(false) {
                return None;
            }
            let snap = rx.borrow_and_update().clone();
            Some(Message::Binary(frames::latent3d(&snap, None).into()))
        }
    }
}

/// Messages a page gets once, when it connects.
fn greeting(link: &Link) -> Vec<serde_json::Value> {
    match link {
        Link::Glass(_) => vec![],
        Link::Latent3d(..) => vec![latent3d_job::datasets_message()],
    }
}

async fn connection(app: Arc<App>, socket: WebSocket, page: Page, session: Option<String>) {
    let (mut tx, mut rx) = socket.split();
    let (id, mut link) = match app.sessions.attach(page, session.as_deref()) {
        Ok(s) => s,
        Err(msg) => {
            send_json(&mut tx, json!({"type": "error", "message": msg})).await;
            let _ = tx.send(Message::Close(None)).await;
            return;
        }
    };
    let mut ok = send_json(&mut tx, json!({"type": "session", "id": id})).await;
    for m in greeting(&link) {
        ok = ok && send_json(&mut tx, m).await;
    }
    if ok {
        match &mut link {
            Link::Glass(rx) => rx.mark_changed(),
            Link::Latent3d(rx, _) => rx.mark_changed(),
        }
        let mut tick = tokio::time::interval(SNAPSHOT_PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        let mut closing = app.closing.clone();
        loop {
            tokio::select! {
                _ = closing.changed() => {
                    let _ = tx.send(Message::Close(None)).await;
                    break;
                }
                msg = rx.next() => {
                    let reply = match msg {
                        None | Some(Err(_)) | Some(Ok(Message::Close(_))) => break,
                        Some(Ok(Message::Text(text))) => handle(&app, &id, &link, &text),
                        Some(Ok(Message::Binary(_))) => Reply::Error("binary messages are not accepted; send JSON text".to_string()),
                        Some(Ok(_)) => Reply::None,
                    };
                    let sent = match reply {
                        Reply::None => true,
                        Reply::End => false,
                        Reply::Error(message) => send_json(&mut tx, json!({"type": "error", "message": message})).await,
                        Reply::Frame(m) => tx.send(m).await.is_ok(),
                    };
                    if !sent {
                        break;
                    }
                }
                _ = tick.tick() => {
                    if let Some(m) = latest(&mut link)
                        && tx.send(m).await.is_err()
                    {
                        break;
                    }
                }
            }
        }
    }
    app.sessions.detach(&id);
}

async fn static_file(req: Request) -> Response {
    assets::serve(req.uri().path())
}

/// The whole app; open WebSockets close when `closing` becomes true.
pub fn router(config: Config, closing: watch::Receiver<bool>) -> Router {
    let grace = config.grace;
    let app = Arc::new(App {
        config,
        sessions: Sessions::new(MAX_SESSIONS, grace),
        closing,
    });
    let reaper = app.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(
            Duration::from_millis(250)
                .min(grace / 2)
                .max(Duration::from_millis(10)),
        );
        loop {
            tick.tick().await;
            reaper.sessions.reap();
        }
    });
    Router::new()
        .route("/api/health", get(health))
        .route("/api/pages", get(pages))
        .route("/ws", get(ws))
        .fallback(get(static_file))
        .layer(middleware::from_fn_with_state(app.clone(), guard))
        .with_state(app)
}

/// Serves on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    config: Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (close_tx, close_rx) = watch::channel(false);
    let signal = async move {
        shutdown.await;
        let _ = close_tx.send(true);
    };
    axum::serve(listener, router(config, close_rx))
        .with_graceful_shutdown(signal)
        .await
}
