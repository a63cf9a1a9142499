//! The WebSocket protocol: JSON text messages from a page, checked before they reach a job;
//! JSON snapshots (Glass Box) or binary frames (3D explorer) back.
//!
//! Every connection names its page (`/ws?page=glass|latent3d`); each page has its own
//! messages ([`glass`], [`latent3d`]). Replies common to both: `{"type": "session", "id": …}`
//! and `{"type": "error", "message": …}`.

pub mod glass;
pub mod latent3d;

pub use glass::parse;

fn malformed(e: impl std::fmt::Display) -> String {
    format!("malformed message: {e}")
}

/// `v` if it is finite and within `lo..=hi`, else an error naming `name`.
fn in_range(name: &str, v: f64, (lo, hi): (f64, f64)) -> Result<f64, String> {
    if v.is_finite() && (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{name} {v} is outside {lo}–{hi}"))
    }
}

/// Refuses fields a message type does not have (serde cannot deny unknown fields on the
/// unit variants of a tagged enum). `fields(type)` lists a type's fields besides `type`.
fn check_fields(
    value: &serde_json::Value,
    fields: impl Fn(&str) -> &'static [&'static str],
) -> Result<(), String> {
    if let Some(obj) = value.as_object() {
        let allowed = fields(obj.get("type").and_then(|t| t.as_str()).unwrap_or(""));
        if let Some(extra) = obj
            .keys()
            .find(|k| k.as_str() != "type" && !allowed.contains(&k.as_str()))
        {
            return Err(malformed(format!("unknown field '{extra}'")));
        }
    }
    Ok(())
}
