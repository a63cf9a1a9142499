//! The one error a page sees: a machine-readable code and a sentence for people.

use serde_json::{Value, json};

/// An error for the page: a machine-readable code and a sentence for people, with the id of
/// the query that caused it.
#[derive(Debug, Clone, PartialEq)]
pub struct WireError {
    /// `malformed`, `invalid`, `not_found`, `ended`, `full`, …
    pub code: &'static str,
    pub message: String,
    pub id: Option<u64>,
}

impl WireError {
    pub fn new(code: &'static str, message: impl Into<String>) -> Self {
        WireError {
            code,
            message: message.into(),
            id: None,
        }
    }

    /// A value or setting that cannot be used.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new("invalid", message)
    }

    /// A message that is not one the page may send.
    pub fn malformed(e: impl std::fmt::Display) -> Self {
        Self::new("malformed", format!("malformed message: {e}"))
    }

    pub fn with_id(mut self, id: Option<u64>) -> Self {
        self.id = id;
        self
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({"type": "error", "code": self.code, "message": self.message});
        if let Some(id) = self.id {
            v["id"] = json!(id);
        }
        v
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<hourglass_core::Error> for WireError {
    fn from(e: hourglass_core::Error) -> Self {
        WireError::invalid(e.to_string())
    }
}
