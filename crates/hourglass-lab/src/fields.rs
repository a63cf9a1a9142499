//! Fields of a page's query, checked: numbers, whole numbers in a range, and images — with
//! a sentence naming what is wrong. Shared by every page's job.

use serde_json::{Map, Value};

use super::WireError;

/// Values of a 28×28 image.
pub const PIXELS: usize = 784;

/// Numbers from a JSON array field, all finite, exactly `len` of them when given.
pub fn numbers(
    fields: &Map<String, Value>,
    name: &str,
    len: Option<usize>,
) -> Result<Vec<f32>, WireError> {
    let v: Vec<f32> = fields
        .get(name)
        .and_then(Value::as_array)
        .ok_or_else(|| WireError::malformed(format!("\"{name}\" must be an array of numbers")))?
        .iter()
        .map(|v| v.as_f64().filter(|x| x.is_finite()).map(|x| x as f32))
        .collect::<Option<_>>()
        .ok_or_else(|| WireError::invalid(format!("\"{name}\" must hold finite numbers")))?;
    if let Some(n) = len
        && v.len() != n
    {
        return Err(WireError::invalid(format!(
            "\"{name}\" needs {n} finite numbers (got {})",
            v.len()
        )));
    }
    Ok(v)
}

/// A whole number field in `lo..=hi`, or `default` when absent.
pub fn whole(
    fields: &Map<String, Value>,
    name: &str,
    (lo, hi): (usize, usize),
    default: usize,
) -> Result<usize, WireError> {
    match fields.get(name) {
        None => Ok(default),
        Some(v) => v
            .as_u64()
            .map(|x| x as usize)
            .filter(|x| (lo..=hi).contains(x))
            .ok_or_else(|| {
                WireError::invalid(format!("\"{name}\" must be a whole number in {lo}–{hi}"))
            }),
    }
}

/// An image: 784 values in 0–1.
pub fn pixels(fields: &Map<String, Value>) -> Result<Vec<f32>, WireError> {
    let p = numbers(fields, "pixels", None)?;
    if p.len() != PIXELS || p.iter().any(|v| !(0.0..=1.0).contains(v)) {
        return Err(WireError::invalid(format!(
            "an image is {PIXELS} values in 0–1 (got {} values)",
            p.len()
        )));
    }
    Ok(p)
}
