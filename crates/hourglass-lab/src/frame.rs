//! Frames: what a job publishes (snapshots) and answers (queries). A frame is a JSON header
//! and named f32 arrays. Without arrays it travels as JSON text; with arrays as one binary
//! message: a u32 (little-endian) header length `H`; `H` bytes of UTF-8 JSON, padded with
//! spaces to a multiple of 4; then the arrays as little-endian f32, in the order the header's
//! `arrays` list gives (`[{"name": …, "length": …}]`, lengths in values). The layout is the
//! same over the WebSocket and over a Web Worker's `postMessage`.

use std::sync::Arc;

use serde::Serialize;
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

    /// A frame whose header is `header` serialised: a page's snapshot struct, whose fields
    /// and their documentation are the wire format of that page.
    pub fn of(header: &impl Serialize) -> Self {
        // our headers are structs with string keys: serialising them cannot fail
        Frame::new(serde_json::to_value(header).unwrap_or_default())
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

#[cfg(test)]
mod tests {
    use super::*;

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
