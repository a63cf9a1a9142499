//! Values of a page's query, checked beyond their type (the wire layer has checked the
//! shape: see each page's query enum): lengths, whole numbers in a range, and images — with
//! a sentence naming what is wrong. Shared by every page's job.

use super::WireError;

/// Values of a 28×28 image.
pub const PIXELS: usize = 784;

/// Numbers of the field `name`, all finite, exactly `len` of them when given.
pub fn numbers(name: &str, v: Vec<f32>, len: Option<usize>) -> Result<Vec<f32>, WireError> {
    if v.iter().any(|x| !x.is_finite()) {
        return Err(WireError::invalid(format!(
            "\"{name}\" must hold finite numbers"
        )));
    }
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

/// The whole number of the field `name` in `lo..=hi`, or `default` when absent.
pub fn whole(
    name: &str,
    value: Option<usize>,
    (lo, hi): (usize, usize),
    default: usize,
) -> Result<usize, WireError> {
    match value {
        None => Ok(default),
        Some(x) if (lo..=hi).contains(&x) => Ok(x),
        Some(_) => Err(WireError::invalid(format!(
            "\"{name}\" must be a whole number in {lo}–{hi}"
        ))),
    }
}

/// A seed (any whole number up to 2³² − 1), 1 when absent.
pub fn seed(value: Option<u64>) -> Result<u64, WireError> {
    match value {
        None => Ok(1),
        Some(s) if s <= u64::from(u32::MAX) => Ok(s),
        Some(_) => Err(WireError::invalid(format!(
            "\"seed\" must be a whole number in 0–{}",
            u32::MAX
        ))),
    }
}

/// An image: 784 values in 0–1.
pub fn pixels(p: Vec<f32>) -> Result<Vec<f32>, WireError> {
    image(p, [1, 28, 28])
}

/// An image of `[channels, height, width]`: that many values in 0–1.
pub fn image(p: Vec<f32>, [c, h, w]: [usize; 3]) -> Result<Vec<f32>, WireError> {
    let len = c * h * w;
    if p.len() != len || p.iter().any(|v| !(0.0..=1.0).contains(v)) {
        let what = if c == 1 { "" } else { " colour" };
        return Err(WireError::invalid(format!(
            "an image is {len} values in 0–1 here ({}{what}; got {} values)",
            hourglass_core::data::shape_words(c, h, w),
            p.len()
        )));
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_out_of_their_range_are_named() {
        assert_eq!(whole("k", None, (1, 32), 8), Ok(8));
        assert_eq!(whole("k", Some(32), (1, 32), 8), Ok(32));
        let e = whole("k", Some(33), (1, 32), 8).unwrap_err();
        assert_eq!(e.message, "\"k\" must be a whole number in 1–32");
        assert_eq!(seed(Some(u64::MAX)).unwrap_err().code, "invalid");
        assert_eq!(seed(None), Ok(1));
        let e = numbers("at", vec![1.0, 2.0, 3.0], Some(2)).unwrap_err();
        assert_eq!(e.message, "\"at\" needs 2 finite numbers (got 3)");
        assert!(pixels(vec![0.5; PIXELS]).is_ok());
        let e = pixels(vec![2.0; PIXELS]).unwrap_err();
        assert_eq!(
            e.message,
            "an image is 784 values in 0–1 here (28×28; got 784 values)"
        );
        let e = image(vec![0.5; PIXELS], [3, 64, 64]).unwrap_err();
        assert_eq!(
            e.message,
            "an image is 12288 values in 0–1 here (64×64×3 colour; got 784 values)"
        );
        assert!(image(vec![0.5; 12288], [3, 64, 64]).is_ok());
    }
}
