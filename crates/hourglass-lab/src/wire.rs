//! The wire format, the same for every page.
//!
//! Page → server (JSON text): the shared commands `{"type": "play" | "pause" | "step" |
//! "reset"}`, `{"type": "speed", "value": x}` (steps per second, 0 = as fast as it goes),
//! `{"type": "configure", …settings}` (a patch of the page's settings, checked against its
//! schema), a query `{"type": "query", "id": n, "query": name, …fields}`, or one of the
//! page's own commands (`{"type": …}`).
//!
//! Server → page: `{"type": "session", "id", "page", "schema", "info"}` once; then snapshots
//! (`"type": "snapshot"`, with the settings and the run's state under `run`); answers
//! (`"type": "answer"`, with the query's `id`); errors `{"type": "error", "code",
//! "message"}` (with the `id` of the query or message that caused them, when it had one).
//! A snapshot or answer with arrays travels as one binary frame (see `frame.rs`).

use hourglass_core::settings::{Settings, check_patch};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::WireError;
pub use crate::frame::{Arrays, Encoded, decode, encode};

/// A checked message from a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Control<C> {
    Play,
    Pause,
    Step,
    Reset,
    Speed(f64),
    /// A patch whose every field is within the schema.
    Configure(Map<String, Value>),
    Command(C),
    Query {
        id: u64,
        name: String,
        fields: Map<String, Value>,
    },
}

/// Largest speed accepted, in steps per second.
pub const MAX_SPEED: f64 = 100_000.0;

/// Parses and checks one text message for a job with settings `S` and commands `C`.
pub fn parse<S: Settings, C: DeserializeOwned>(text: &str) -> Result<Control<C>, WireError> {
    let value: Value = serde_json::from_str(text).map_err(WireError::malformed)?;
    let Value::Object(mut obj) = value else {
        return Err(WireError::malformed("expected a JSON object"));
    };
    let kind = obj
        .get("type")
        .and_then(Value::as_str)
        .ok_or_else(|| WireError::malformed("no \"type\""))?
        .to_string();
    let only = |obj: &Map<String, Value>, allowed: &[&str]| -> Result<(), WireError> {
        match obj
            .keys()
            .find(|k| k.as_str() != "type" && !allowed.contains(&k.as_str()))
        {
            Some(extra) => Err(WireError::malformed(format!(
                "unknown field '{extra}' in '{kind}'"
            ))),
            None => Ok(()),
        }
    };
    Ok(match kind.as_str() {
        "play" | "pause" | "step" | "reset" => {
            only(&obj, &[])?;
            match kind.as_str() {
                "play" => Control::Play,
                "pause" => Control::Pause,
                "step" => Control::Step,
                _ => Control::Reset,
            }
        }
        "speed" => {
            only(&obj, &["value"])?;
            let v = obj.get("value").and_then(Value::as_f64);
            match v {
                Some(v) if v.is_finite() && (0.0..=MAX_SPEED).contains(&v) => Control::Speed(v),
                _ => {
                    return Err(WireError::invalid(format!(
                        "speed {} is outside 0–{MAX_SPEED} steps per second",
                        obj.get("value").unwrap_or(&Value::Null)
                    )));
                }
            }
        }
        "configure" => {
            obj.remove("type");
            check_patch::<S>(&obj)?;
            Control::Configure(obj)
        }
        "query" => {
            let id = obj
                .remove("id")
                .and_then(|v| v.as_u64())
                .ok_or_else(|| WireError::malformed("a query needs a whole-number \"id\""))?;
            let name = obj
                .remove("query")
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or_else(|| {
                    WireError::malformed("a query needs a \"query\" name").with_id(Some(id))
                })?;
            obj.remove("type");
            Control::Query {
                id,
                name,
                fields: obj,
            }
        }
        _ => Control::Command(
            serde_json::from_value(Value::Object(obj)).map_err(WireError::malformed)?,
        ),
    })
}

#[cfg(test)]
mod tests {
    use hourglass_core::glass::GlassSettings;
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
    enum Own {
        Poke { n: u32 },
    }

    fn p(text: &str) -> Result<Control<Own>, WireError> {
        parse::<GlassSettings, Own>(text)
    }

    #[test]
    fn shared_commands_patches_queries_and_own_commands() {
        assert_eq!(p(r#"{"type":"play"}"#), Ok(Control::Play));
        assert_eq!(p(r#"{"type":"speed","value":0}"#), Ok(Control::Speed(0.0)));
        assert_eq!(
            p(r#"{"type":"poke","n":3}"#),
            Ok(Control::Command(Own::Poke { n: 3 }))
        );
        let Control::Configure(c) = p(r#"{"type":"configure","lr":0.2}"#).unwrap() else {
            panic!()
        };
        assert_eq!(c["lr"], 0.2);
        let Control::Query { id, name, fields } =
            p(r#"{"type":"query","id":7,"query":"moment","index":3}"#).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (id, name.as_str(), &fields["index"]),
            (7, "moment", &serde_json::json!(3))
        );
    }

    #[test]
    fn bad_messages_name_what_is_wrong() {
        let e = |t: &str| p(t).unwrap_err();
        assert_eq!(e("nope").code, "malformed");
        assert!(
            e(r#"{"type":"play","x":1}"#)
                .message
                .contains("unknown field 'x'")
        );
        assert!(
            e(r#"{"type":"launch"}"#)
                .message
                .starts_with("malformed message")
        );
        assert!(e(r#"{"type":"poke","n":3,"m":1}"#).message.contains("m"));
        assert_eq!(e(r#"{"type":"speed","value":-1}"#).code, "invalid");
        let bad = e(r#"{"type":"configure","lr":0.9}"#);
        assert_eq!(
            (bad.code, bad.message.as_str()),
            ("invalid", "learning rate 0.9 is outside 0.01–0.5")
        );
        assert!(
            e(r#"{"type":"configure","colour":1}"#)
                .message
                .contains("unknown setting 'colour'")
        );
        assert_eq!(e(r#"{"type":"query","query":"x"}"#).code, "malformed");
        assert_eq!(e(r#"{"type":"query","id":4}"#).id, Some(4));
    }
}
