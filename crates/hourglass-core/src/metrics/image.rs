//! Per-image reconstruction metrics: MSE, BCE, PSNR (data range 1).

use crate::glass::BCE_EPS;

/// Mean squared error.
pub fn mse(a: &[f32], b: &[f32]) -> f64 {
    let n = a.len().max(1) as f64;
    a.iter()
        .zip(b)
        .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
        .sum::<f64>()
        / n
}

/// Binary cross-entropy of prediction `y` against target `t` (values in [0, 1]), mean over
/// values; predictions are clamped to [ε, 1 − ε].
pub fn bce(y: &[f32], t: &[f32]) -> f64 {
    let n = y.len().max(1) as f64;
    -y.iter()
        .zip(t)
        .map(|(&p, &q)| {
            let p = (p as f64).clamp(BCE_EPS, 1.0 - BCE_EPS);
            let q = q as f64;
            q * p.ln() + (1.0 - q) * (1.0 - p).ln()
        })
        .sum::<f64>()
        / n
}

/// Peak signal-to-noise ratio in dB for data range 1: 10·log10(1 / MSE); infinite for
/// identical images.
pub fn psnr(a: &[f32], b: &[f32]) -> f64 {
    let m = mse(a, b);
    if m == 0.0 {
        f64::INFINITY
    } else {
        -10.0 * m.log10()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_values() {
        assert_eq!(mse(&[0.0, 1.0], &[0.0, 0.0]), 0.5);
        assert!((psnr(&[0.0; 4], &[0.1; 4]) - 20.0).abs() < 1e-5);
        assert!(psnr(&[0.3], &[0.3]).is_infinite());
        assert!((bce(&[0.5], &[1.0]) - std::f64::consts::LN_2).abs() < 1e-12);
    }
}
