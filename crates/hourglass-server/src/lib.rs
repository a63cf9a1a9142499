//! Hourglass's local web app: the pages, a JSON health endpoint, and a WebSocket per tab
//! that drives a training job on a worker thread.
//!
//! Security: binds loopback by default; every request and WebSocket upgrade must carry an
//! allowed Host (DNS rebinding fails) and, when it has one, an allowed Origin (another site's
//! page cannot drive it); with a token, every request must present it.

mod http;
pub mod pages;
pub mod runtime;
mod session;

use std::{net::SocketAddr, path::PathBuf, time::Duration};

pub use http::{router, serve};
pub use session::Sessions;

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
