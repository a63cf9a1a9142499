//! The guard every request and WebSocket upgrade passes: an allowed Host (DNS rebinding
//! fails), an allowed Origin when it has one (another site's page cannot drive the server),
//! and, with a token, the token (as a cookie, or once in the URL, which sets the cookie).

use std::sync::Arc;

use axum::{
    extract::{Request, State},
    http::{HeaderMap, header},
    middleware::Next,
    response::{IntoResponse, Response},
};

use super::{App, error::ApiError};
use crate::CONTENT_SECURITY_POLICY;

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
pub(super) async fn guard(State(app): State<Arc<App>>, req: Request, next: Next) -> Response {
    let headers = req.headers();
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !app.config.allowed_hosts.contains(&host) {
        return ApiError::forbidden(format!("Host '{host}' is not allowed")).into_response();
    }
    if let Some(origin) = headers.get(header::ORIGIN) {
        let origin = origin.to_str().unwrap_or("").to_ascii_lowercase();
        if !app
            .config
            .allowed_hosts
            .iter()
            .any(|h| origin == format!("http://{h}"))
        {
            return ApiError::forbidden(format!("Origin '{origin}' is not allowed"))
                .into_response();
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
            return ApiError::unauthorized(
                "a valid token is required (open the URL the server printed)",
            )
            .into_response();
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
