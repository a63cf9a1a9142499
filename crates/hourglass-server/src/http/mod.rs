//! The HTTP layer: the guard every request passes ([`guard`]), the API (health, the pages,
//! [`models`], [`datasets`]), the WebSocket of each tab ([`socket`]) and the pages' files
//! ([`assets`]); refusals are one type ([`error::ApiError`]).

mod assets;
mod datasets;
mod error;
mod guard;
mod models;
mod socket;

use std::{sync::Arc, time::Duration};

use axum::{
    Router,
    extract::{Request, State},
    middleware,
    response::{IntoResponse, Response},
    routing::get,
    serve::ListenerExt,
};
use serde_json::json;
use tokio::{net::TcpListener, sync::watch};

use crate::{
    Config, MAX_SESSIONS, Sessions, pages,
    runtime::{Budget, Host},
};
use datasets::dataset_upload;
use guard::guard;
use models::{model_download, model_upload};
use socket::ws;

struct App {
    config: Config,
    context: Arc<Host>,
    sessions: Sessions,
    /// Becomes true when the server shuts down; open connections close then.
    closing: watch::Receiver<bool>,
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
