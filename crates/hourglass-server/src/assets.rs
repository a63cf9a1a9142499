//! The pages, embedded in the binary (read from web/ on disk in debug builds).

use axum::{
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Web;

/// The pages that exist, as `(path, title)`; the navigation bar lists exactly these.
pub const PAGES: [(&str, &str); 2] = [("/glass", "Glass Box"), ("/latent3d", "3D Latent Explorer")];

/// Serves `path` from web/, or the app shell for a page route.
pub fn serve(path: &str) -> Response {
    let path = path.trim_start_matches('/');
    let file = if path.is_empty() || PAGES.iter().any(|(p, _)| p.trim_start_matches('/') == path) {
        "index.html"
    } else {
        path
    };
    match Web::get(file) {
        Some(content) => {
            let mime = content.metadata.mimetype().to_string();
            (
                [
                    (header::CONTENT_TYPE, mime),
                    (header::CACHE_CONTROL, "no-cache".to_string()),
                ],
                content.data,
            )
                .into_response()
        }
        None => (StatusCode::NOT_FOUND, format!("no page or file '/{path}'")).into_response(),
    }
}
