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
//! A snapshot or answer with arrays travels as one binary frame: a u32 (little-endian)
//! header length `H`; `H` bytes of UTF-8 JSON, padded with spaces to a multiple of 4; then
//! the arrays as little-endian f32, in the order the header's `arrays` list gives
//! (`[{"name": …, "length": …}]`, lengths in values). Without arrays it is JSON text.

use std::sync::Arc;

use hourglass_core::settings::{Settings, check_patch};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

/// A snapshot or an answer: a JSON header (an object) and named f32 arrays.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Frame {
    pub header: Map<String, Value>,
    pub arrays: Vec<(&'static str, Arc<Vec<f32>>)>,
}

impl Frame {
    /// A frame of `header` (an object; anything else becomes an empty header).
    pub fn new(header: Value) -> Self {
        Frame {
            header: match header {
                Value::Object(m) => m,
                _ => Map::new(),
            },
            arrays: Vec::new(),
        }
    }

    /// Adds an array.
    pub fn with(mut self, name: &'static str, values: Arc<Vec<f32>>) -> Self {
        self.arrays.push((name, values));
        self
    }

    /// Sets a header field.
    pub fn set(&mut self, key: &str, value: Value) {
        self.header.insert(key.to_string(), value);
    }

    /// JSON text when there are no arrays, else the binary layout.
    pub fn encode(&self) -> Encoded {
        if self.arrays.is_empty() {
            return Encoded::Text(Value::Object(self.header.clone()).to_string());
        }
        let arrays: Vec<(&str, &[f32])> = self
            .arrays
            .iter()
            .map(|(n, a)| (*n, a.as_slice()))
            .collect();
        Encoded::Binary(encode(Value::Object(self.header.clone()), &arrays))
    }
}

/// A frame ready to send.
#[derive(Debug, Clone, PartialEq)]
pub enum Encoded {
    Text(String),
    Binary(Vec<u8>),
}

/// One frame of `header` (an object) followed by `arrays`.
pub fn encode(mut header: Value, arrays: &[(&str, &[f32])]) -> Vec<u8> {
    header["arrays"] = arrays
        .iter()
        .map(|(name, a)| json!({"name": name, "length": a.len()}))
        .collect();
    let mut text = header.to_string().into_bytes();
    while !text.len().is_multiple_of(4) {
        text.push(b' ');
    }
    let values: usize = arrays.iter().map(|(_, a)| a.len()).sum();
    let mut out = Vec::with_capacity(4 + text.len() + 4 * values);
    out.extend_from_slice(&(text.len() as u32).to_le_bytes());
    out.extend_from_slice(&text);
    for (_, a) in arrays {
        for v in *a {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

/// A frame's arrays by name, in order.
pub type Arrays = Vec<(String, Vec<f32>)>;

/// Splits a binary frame back into its header and arrays (for tests and tools).
pub fn decode(bytes: &[u8]) -> Result<(Value, Arrays), String> {
    let len = bytes
        .get(..4)
        .ok_or("frame shorter than its header length")?;
    let h = u32::from_le_bytes([len[0], len[1], len[2], len[3]]) as usize;
    let text = bytes.get(4..4 + h).ok_or("frame shorter than its header")?;
    let header: Value = serde_json::from_slice(text).map_err(|e| e.to_string())?;
    let mut at = 4 + h;
    let mut arrays = Vec::new();
    for a in header["arrays"]
        .as_array()
        .ok_or("header lists no arrays")?
    {
        let n = a["length"].as_u64().ok_or("array without a length")? as usize;
        let raw = bytes
            .get(at..at + 4 * n)
            .ok_or("frame shorter than its arrays")?;
        arrays.push((
            a["name"].as_str().unwrap_or("").to_string(),
            raw.chunks_exact(4)
                .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect(),
        ));
        at += 4 * n;
    }
    Ok((header, arrays))
}

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
            (7, "moment", &json!(3))
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

    #[test]
    fn frames_round_trip() {
        let a = [1.5f32, -2.0, 3.25];
        let b = [0.0f32; 0];
        let c = [7.0f32];
        let f = encode(
            json!({"type": "snapshot", "epoch": 4}),
            &[("a", &a), ("b", &b), ("c", &c)],
        );
        let (h, arrays) = decode(&f).unwrap();
        assert_eq!(h["epoch"], 4);
        assert_eq!(arrays[0], ("a".to_string(), a.to_vec()));
        assert!(arrays[1].1.is_empty());
        assert_eq!(arrays[2].1, vec![7.0]);
        // arrays start 4-byte aligned, so a page can view them as a Float32Array
        let h = u32::from_le_bytes([f[0], f[1], f[2], f[3]]) as usize;
        assert!(h.is_multiple_of(4));
        assert!(decode(&f[..f.len() - 1]).is_err());
        // a frame without arrays is JSON text
        let t = Frame::new(json!({"type": "snapshot"})).encode();
        assert_eq!(t, Encoded::Text(r#"{"type":"snapshot"}"#.into()));
    }
}
