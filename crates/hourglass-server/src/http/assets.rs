//! The pages, embedded in the binary (read from web/ on disk in debug builds).

use axum::{
    http::header,
    response::{IntoResponse, Response},
};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "../../web/"]
struct Web;

/// Serves `path` from web/, or the app shell for a page route (`/<name>` or `/<name>/` of
/// one of `pages`).
pub fn serve(path: &str, pages: &[&str]) -> Response {
    let path = path.trim_start_matches('/');
    let route = path.trim_end_matches('/');
    let file = if route.is_empty() || pages.contains(&route) {
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
        None => {
            super::error::ApiError::not_found(format!("no page or file '/{path}'")).into_response()
        }
    }
}
