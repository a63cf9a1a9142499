//! One refusal type for the HTTP layer: a status, a wire code a page can act on (the codes the
//! WebSocket's errors use), and a sentence naming what was wrong. Its body is
//! `{"error": sentence, "code": code}`.

use axum::{
    http::StatusCode,
    response::{IntoResponse, Response},
};
use hourglass_lab::WireError;
use serde_json::{Value, json};

#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    /// What was sent cannot be used (a bad name, a file that is not what it says).
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "invalid", message)
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    /// It is there already (replacing was not asked for).
    pub fn exists(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "exists", message)
    }

    /// A request the guard refuses (its Host or Origin).
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// A request without the server's token.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// The server could not do it (a folder it cannot write, say).
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<WireError> for ApiError {
    fn from(e: WireError) -> Self {
        match e.code {
            "not_found" | "unknown_page" => Self::not_found(e.message),
            "exists" => Self::exists(e.message),
            "internal" => Self::internal(e.message),
            _ => Self::invalid(e.message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({"error": self.message, "code": self.code})),
        )
            .into_response()
    }
}

/// The JSON answer of work done off the async threads, or its refusal.
pub fn answer(work: Result<Result<Value, ApiError>, tokio::task::JoinError>) -> Response {
    match work {
        Ok(Ok(v)) => axum::Json(v).into_response(),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::internal(e.to_string()).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_error_keeps_its_code_and_gets_its_status() {
        let e = ApiError::from(WireError::new("not_found", "unknown page 'x'"));
        assert_eq!((e.status, e.code), (StatusCode::NOT_FOUND, "not_found"));
        let e = ApiError::from(WireError::invalid("bad"));
        assert_eq!(
            (e.status, e.code, e.message.as_str()),
            (StatusCode::BAD_REQUEST, "invalid", "bad")
        );
        assert_eq!(ApiError::exists("x").status, StatusCode::CONFLICT);
    }
}
