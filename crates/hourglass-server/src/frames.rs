//! Binary snapshot frames: large arrays travel as little-endian f32, not JSON.
//!
//! Layout: a u32 (little-endian) header length `H`; `H` bytes of UTF-8 JSON, padded with
//! spaces to a multiple of 4; then the arrays, one after another, in the order the
//! header's `arrays` list gives (`[{"name": …, "length": …}]`, lengths in values).

use serde_json::{Value, json};

use crate::latent3d_job::{Latent3dSnapshot, Moment};

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

/// The explorer's snapshot as a frame: live, or timeline moment `index` when given.
pub fn latent3d(s: &Latent3dSnapshot, moment: Option<(usize, &Moment)>) -> Vec<u8> {
    let (m, trails_epoch): (&Moment, u64) = match moment {
        Some((_, m)) => (m, m.epoch),
        None => (&s.live, s.trails_epoch),
    };
    let finite = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
    let header = json!({
        "type": "snapshot",
        "moment": moment.map(|(i, _)| i),
        "settings": s.settings,
        "dataset_label": s.dataset_label,
        "training": s.training,
        "sizes": s.sizes,
        "params": s.params,
        "n": s.points.len() / 3,
        "latent": s.settings.latent,
        "epoch": m.epoch,
        "loss": finite(m.loss),
        "ae_error": finite(m.loss),
        "pca_error": finite(s.pca_error),
        "trails_epoch": trails_epoch,
        "epochs_per_second": s.epochs_per_second,
        "loss_history": s.loss_history,
        "timeline": s.timeline,
        "timeline_generation": s.timeline_generation,
        "notice": s.notice.as_ref().map(|(id, text)| json!({"id": id, "text": text})),
    });
    encode(
        header,
        &[
            ("points", &s.points),
            ("codes", &m.codes),
            ("reconstructions", &m.reconstructions),
            ("errors", &m.errors),
            ("trails", &m.trails),
            ("pca_codes", &s.pca_codes),
        ],
    )
}

/// A frame's arrays by name, in order.
pub type Arrays = Vec<(String, Vec<f32>)>;

/// Splits a frame back into its header and arrays (for tests and tools).
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
    }
}
