//! Hourglass's local web app: the pages, a JSON health endpoint, and a WebSocket per tab
//! that drives a training job on a worker thread.
//!
//! Security: binds loopback by default; every request and WebSocket upgrade must carry an
//! allowed Host (DNS rebinding fails) and, when it has one, an allowed Origin (another site's
//! page cannot drive it); with a token, every request must present it.

mod assets;
pub mod pages;
pub mod runtime;
mod session;

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

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
    serve::ListenerExt,
};
use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::json;
use tokio::{
    net::TcpListener,
    sync::{mpsc, watch},
};

pub use session::Sessions;

use hourglass_lab::pages::studio;
use runtime::{Budget, Host, Outgoing, wire::Encoded};

/// What pages may load and run: scripts, styles, images and connections from this server only
/// (styles may be inline; scripts may not); no plugins, no framing, no other base URL.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Largest WebSocket message accepted from a page (an upload of 2,000 points fits).
pub const MAX_MESSAGE_BYTES: usize = 256 * 1024;
/// Most sessions (tabs) at once; each owns one job.
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
    /// Where datasets are looked for first.
    pub data_dir: Option<PathBuf>,
    /// Where models are kept.
    pub models_dir: PathBuf,
    /// Most tensor-training jobs at once (the others queue).
    pub jobs: usize,
    /// Download datasets from this base URL instead of their public mirrors.
    pub mirror: Option<String>,
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
            data_dir: None,
            models_dir: std::env::temp_dir().join("hourglass-models"),
            jobs: std::thread::available_parallelism()
                .map(|n| n.get())
                .unwrap_or(1),
            mirror: None,
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
    context: Arc<Host>,
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

/// Whether `presented` is the token, in a time that does not depend on where (or whether) they
/// differ: the SHA-256 digests are compared with `subtle`, so neither a matching prefix nor
/// the token's length shows in the response time.
fn same_token(presented: &str, token: &str) -> bool {
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;
    let a = Sha256::digest(presented.as_bytes());
    let b = Sha256::digest(token.as_bytes());
    a.as_slice().ct_eq(b.as_slice()).into()
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
        if !presented.iter().flatten().any(|t| same_token(t, token)) {
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
    let h = resp.headers_mut();
    // the browser takes every file for what it is served as, runs scripts only from files
    // of this server (no inline script, no eval), and connects only back to it
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        header::HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        header::HeaderValue::from_static(CONTENT_SECURITY_POLICY),
    );
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
    let list: Vec<_> = pages::PAGES
        .iter()
        .map(|p| json!({"name": p.name, "path": format!("/{}", p.name), "title": p.title}))
        .collect();
    axum::Json(json!(list)).into_response()
}

/// A model of the models folder, as a download (`GET /api/models/<name>.safetensors`): the
/// same file `hourglass train` writes. The name is checked as every model name is, so it
/// never leaves the folder.
async fn model_download(
    State(app): State<Arc<App>>,
    axum::extract::Path(name): axum::extract::Path<String>,
) -> Response {
    let dir = app.context.models.dir().to_path_buf();
    let path = match hourglass_data::models::model_path(&dir, &name) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    let file = path
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match tokio::task::spawn_blocking(move || std::fs::read(path))
        .await
        .ok()
        .and_then(Result::ok)
    {
        Some(bytes) => (
            [
                (header::CONTENT_TYPE, "application/octet-stream".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        None => refuse(
            StatusCode::NOT_FOUND,
            format!("there is no model '{name}' in the models folder"),
        ),
    }
}

/// The JSON answer of work done off the async threads, or its refusal.
fn answer(
    work: Result<Result<serde_json::Value, (StatusCode, String)>, tokio::task::JoinError>,
) -> Response {
    match work {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err((status, msg))) => refuse(status, msg),
        Err(e) => refuse(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

#[derive(Deserialize)]
struct UploadQuery {
    name: String,
    #[serde(default)]
    overwrite: bool,
}

/// A checkpoint uploaded into the models folder (`POST /api/models?name=<name>`, the file as
/// the body, at most 256 MB): checked as a checkpoint is when it is loaded (every tensor's
/// name, type and shape against its configuration) before anything is written, then written
/// atomically. A bad file, a name that would leave the folder, or an upload cut short writes
/// nothing.
async fn model_upload(
    State(app): State<Arc<App>>,
    Query(q): Query<UploadQuery>,
    body: axum::body::Bytes,
) -> Response {
    let dir = app.context.models.dir().to_path_buf();
    let path = match hourglass_data::models::model_path(&dir, &q.name) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    let work = tokio::task::spawn_blocking(move || -> Result<serde_json::Value, (StatusCode, String)> {
        let ck = hourglass_core::checkpoint::Checkpoint::from_bytes("the uploaded file", &body)
            .map_err(|e| {
                (
                    StatusCode::BAD_REQUEST,
                    format!("not a model Hourglass can read: {e}"),
                )
            })?;
        if path.exists() && !q.overwrite {
            return Err((
                StatusCode::CONFLICT,
                format!(
                    "a model called '{}' is already in the models folder: pick another name, or replace it",
                    q.name
                ),
            ));
        }
        std::fs::create_dir_all(&dir).map_err(|e| {
            (
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("cannot create the models folder {}: {e}", dir.display()),
            )
        })?;
        hourglass_data::models::write_atomic(&path, &body)
            .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
        Ok(json!({
            "file": path.file_name().map(|f| f.to_string_lossy().into_owned()),
            "describe": ck.config.architecture.describe(),
            "epochs": ck.config.epochs_trained,
        }))
    })
    .await;
    answer(work)
}

#[derive(Deserialize)]
struct DatasetUpload {
    name: String,
}

/// A data set uploaded for the Model Studio (`POST /api/datasets?name=<file>.csv|.npy|.zip`,
/// the file as the body, at most 256 MB): read by the same readers as `hourglass train
/// --dataset FILE` and checked (28×28 images, an archive bounded before it is expanded)
/// before anything is written, then written atomically to the uploads folder. A bad file or
/// an upload cut short writes nothing.
async fn dataset_upload(
    State(app): State<Arc<App>>,
    Query(q): Query<DatasetUpload>,
    body: axum::body::Bytes,
) -> Response {
    let dir = app.context.datasets.uploads_dir().to_path_buf();
    let path = match hourglass_data::uploads::upload_path(&dir, &q.name) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e),
    };
    let work =
        tokio::task::spawn_blocking(move || -> Result<serde_json::Value, (StatusCode, String)> {
            let file = path
                .file_name()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_default();
            let (d, scaling) = hourglass_data::uploads::read(&file, &body, 28)
                .map_err(|e| format!("{e:#}"))
                .and_then(|d| studio::studio_data(&file, d))
                .map_err(|e| (StatusCode::BAD_REQUEST, e))?;
            std::fs::create_dir_all(&dir).map_err(|e| {
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    format!("cannot create the uploads folder {}: {e}", dir.display()),
                )
            })?;
            hourglass_data::models::write_atomic(&path, &body)
                .map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, format!("{e:#}")))?;
            Ok(json!({
                "file": file,
                "samples": d.len(),
                "labelled": d.labels.is_some(),
                "scaled": scaling != hourglass_core::data::Scaling::IDENTITY,
            }))
        })
        .await;
    answer(work)
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
    let page = match pages::find(q.page.as_deref().unwrap_or("glass")) {
        Ok(p) => p,
        Err(e) => return refuse(StatusCode::BAD_REQUEST, e.message),
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

async fn static_file(req: Request) -> Response {
    let names: Vec<&str> = pages::PAGES.iter().map(|p| p.name).collect();
    assets::serve(req.uri().path(), &names)
}

/// The whole app; open WebSockets close when `closing` becomes true.
pub fn router(config: Config, closing: watch::Receiver<bool>) -> Router {
    let grace = config.grace;
    let context = Arc::new(Host::new(
        config.data_dir.clone(),
        config.models_dir.clone(),
        config.mirror.clone(),
        Budget::new(config.jobs),
    ));
    let app = Arc::new(App {
        config,
        context,
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
        .route("/api/models/{name}", get(model_download))
        .route(
            "/api/models",
            axum::routing::post(model_upload).layer(axum::extract::DefaultBodyLimit::max(
                hourglass_data::models::MAX_MODEL_BYTES as usize,
            )),
        )
        .route(
            "/api/datasets",
            axum::routing::post(dataset_upload).layer(axum::extract::DefaultBodyLimit::max(
                hourglass_data::uploads::MAX_UPLOAD_BYTES,
            )),
        )
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
    // small WebSocket messages (a hover's decode, a command) must not wait for Nagle's
    // algorithm to batch them: that cost ~40 ms round trips
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, router(config, close_rx))
        .with_graceful_shutdown(signal)
        .await
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_token_matches_only_itself() {
        assert!(super::same_token(
            "correct-horse-battery",
            "correct-horse-battery"
        ));
        assert!(!super::same_token(
            "correct-horse-batterx",
            "correct-horse-battery"
        ));
        assert!(!super::same_token("correct", "correct-horse-battery"));
        assert!(!super::same_token("", "correct-horse-battery"));
    }
}
