//! The engine's typed errors. Every message names what was wrong.

/// An error from the engine: bad input, a malformed file, or an I/O failure.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value or combination of settings that cannot be used.
    #[error("{0}")]
    Invalid(String),
    /// Malformed data: `source` names the file or stream, `message` the fault.
    #[error("{origin}: {message}")]
    Format { origin: String, message: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
}

impl Error {
    pub fn invalid(msg: impl Into<String>) -> Self {
        Error::Invalid(msg.into())
    }

    pub fn format(source: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Format {
            origin: source.into(),
            message: message.into(),
        }
    }
}
