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

pub use crate::frame::{Arrays, Encoded, decode, encode};
use crate::{PageJob, WireError};

/// A checked message from a page.
#[derive(Debug, Clone, PartialEq)]
pub enum Control<C, Q> {
    Play,
    Pause,
    Step,
    Reset,
    Speed(f64),
    /// A patch whose every field is within the schema.
    Configure(Map<String, Value>),
    Command(C),
    /// A question, well-shaped: its `name` (for the answer) and its typed fields.
    Query {
        id: u64,
        name: String,
        query: Q,
    },
}

/// Largest speed accepted, in steps per second.
pub const MAX_SPEED: f64 = 100_000.0;

/// Parses and checks one message for the job `J`.
pub fn parse_for<J: PageJob>(text: &str) -> Result<Control<J::Command, J::Query>, WireError> {
    parse::<J::Settings, J::Command, J::Query>(text)
}

/// Parses and checks one text message for a job with settings `S`, commands `C` and
/// queries `Q`.
pub fn parse<S: Settings, C: DeserializeOwned, Q: DeserializeOwned>(
    text: &str,
) -> Result<Control<C, Q>, WireError> {
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
                .get("query")
                .and_then(|v| v.as_str().map(str::to_string))
                .ok_or_else(|| {
                    WireError::malformed("a query needs a \"query\" name").with_id(Some(id))
                })?;
            obj.remove("type");
            let query = serde_json::from_value(Value::Object(obj)).map_err(|e| {
                let e = e.to_string();
                // serde names the queries there are: "unknown variant `x`, expected …"
                if e.starts_with("unknown variant") {
                    WireError::new(
                        "unknown_query",
                        format!("this page answers no query '{name}' ({e})"),
                    )
                } else {
                    WireError::malformed(format!("query '{name}': {e}"))
                }
                .with_id(Some(id))
            })?;
            Control::Query { id, name, query }
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

    #[derive(Debug, PartialEq, Deserialize)]
    #[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
    enum Ask {
        Moment { index: usize },
        // a variant without fields is written `{}`: serde lets a unit variant of an
        // internally tagged enum through with any fields
        Codes {},
    }

    fn p(text: &str) -> Result<Control<Own, Ask>, WireError> {
        parse::<GlassSettings, Own, Ask>(text)
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
        assert_eq!(
            p(r#"{"type":"query","id":7,"query":"moment","index":3}"#),
            Ok(Control::Query {
                id: 7,
                name: "moment".into(),
                query: Ask::Moment { index: 3 }
            })
        );
        assert_eq!(
            p(r#"{"type":"query","id":8,"query":"codes"}"#),
            Ok(Control::Query {
                id: 8,
                name: "codes".into(),
                query: Ask::Codes {}
            })
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
        // a query is checked like a command: its name, its fields and their types
        let unknown = e(r#"{"type":"query","id":5,"query":"momentum"}"#);
        assert_eq!((unknown.code, unknown.id), ("unknown_query", Some(5)));
        assert!(unknown.message.contains("`moment`"), "{}", unknown.message);
        let extra = e(r#"{"type":"query","id":6,"query":"moment","index":3,"at":1}"#);
        assert_eq!((extra.code, extra.id), ("malformed", Some(6)));
        assert!(
            extra.message.contains("unknown field `at`"),
            "{}",
            extra.message
        );
        let extra = e(r#"{"type":"query","id":6,"query":"codes","at":1}"#);
        assert!(
            extra.message.contains("unknown field `at`"),
            "{}",
            extra.message
        );
        let typed = e(r#"{"type":"query","id":6,"query":"moment","index":"3"}"#);
        assert!(
            typed.message.contains("query 'moment'"),
            "{}",
            typed.message
        );
    }
}
