//! Walking a latent space, once for the CLI and the pages: codes drawn from the prior
//! N(0, I), a sample of a VAE's code distribution, the straight path between two codes, and
//! the prior's quantiles (where a decoded grid over the plane puts its cells).

use crate::rng::Rng;

/// `count` codes of `latent` numbers drawn from N(0, I) with `seed`, row by row.
pub fn prior_codes(count: usize, latent: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    (0..count * latent).map(|_| rng.normal() as f32).collect()
}

/// One draw z = μ + σ·ε of a VAE's code distribution, ε from N(0, I) with `seed`.
pub fn resample(mu: &[f32], sigma: &[f32], seed: u64) -> Vec<f32> {
    let mut rng = Rng::new(seed);
    mu.iter()
        .zip(sigma)
        .map(|(m, s)| m + s * rng.normal() as f32)
        .collect()
}

/// `steps` codes evenly along the straight line from `a` to `b` (both ends included; at
/// least 2 steps), row by row.
pub fn interpolate(a: &[f32], b: &[f32], steps: usize) -> Vec<f32> {
    let steps = steps.max(2);
    (0..steps)
        .flat_map(|k| {
            let t = k as f32 / (steps - 1) as f32;
            a.iter().zip(b).map(move |(x, y)| x + t * (y - x))
        })
        .collect()
}

/// The error function (Abramowitz & Stegun 7.1.26, |error| < 1.5e-7: plenty for placing
/// grid lines at the prior's quantiles).
pub fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    if x < 0.0 { -y } else { y }
}

/// The `p`-quantile of N(0, 1) (0 < p < 1), by bisection on its distribution function.
pub fn normal_quantile(p: f64) -> f64 {
    let (mut lo, mut hi) = (-6.0f64, 6.0f64);
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if 0.5 * (1.0 + erf(mid / std::f64::consts::SQRT_2)) < p {
            lo = mid
        } else {
            hi = mid
        }
    }
    0.5 * (lo + hi)
}

/// Codes rounded to 8 bits per value over each dimension's range on the codes it was made
/// from (the range is part of the model, stored once, not per image): the compression
/// ladder's 8-bit codes.
#[derive(Debug, Clone, PartialEq)]
pub struct Quantiser {
    lo: Vec<f32>,
    hi: Vec<f32>,
}

impl Quantiser {
    /// The ranges of `fit`'s codes, `k` values each.
    pub fn new(fit: &[f32], k: usize) -> Self {
        let mut lo = vec![f32::INFINITY; k];
        let mut hi = vec![f32::NEG_INFINITY; k];
        for row in fit.chunks(k.max(1)) {
            for (d, &v) in row.iter().enumerate() {
                lo[d] = lo[d].min(v);
                hi[d] = hi[d].max(v);
            }
        }
        Quantiser { lo, hi }
    }

    /// `codes` as their 8-bit values stand for them.
    pub fn apply(&self, codes: &[f32]) -> Vec<f32> {
        codes
            .chunks(self.lo.len().max(1))
            .flat_map(|row| {
                row.iter().enumerate().map(|(d, &v)| {
                    let (lo, hi) = (self.lo[d], self.hi[d]);
                    let span = (hi - lo).max(1e-12);
                    let q = ((v - lo) / span * 255.0).round().clamp(0.0, 255.0);
                    lo + q / 255.0 * span
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_prior_draws_and_quantiles_are_what_they_say() {
        let path = interpolate(&[0.0, 2.0], &[1.0, 0.0], 3);
        assert_eq!(path, vec![0.0, 2.0, 0.5, 1.0, 1.0, 0.0]);
        let z = prior_codes(2000, 2, 7);
        assert_eq!(z.len(), 4000);
        assert_eq!(z, prior_codes(2000, 2, 7), "seeded");
        let mean = z.iter().map(|&v| v as f64).sum::<f64>() / 4000.0;
        let var = z.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / 4000.0;
        assert!(mean.abs() < 0.1 && (var - 1.0).abs() < 0.1, "{mean} {var}");
        // σ = 0 gives μ back
        assert_eq!(resample(&[1.5, -2.0], &[0.0, 0.0], 3), vec![1.5, -2.0]);
        assert!((normal_quantile(0.975) - 1.959964).abs() < 1e-5);
        assert!(normal_quantile(0.5).abs() < 1e-9);
        assert!((erf(1.0) - 0.842_700_79).abs() < 1e-6);
    }

    #[test]
    fn eight_bit_codes_keep_the_ends_and_round_within_a_step() {
        let fit = [0.0f32, -1.0, 10.0, 1.0, 5.0, 0.0];
        let q = Quantiser::new(&fit, 2);
        assert_eq!(q.apply(&[0.0, -1.0, 10.0, 1.0]), vec![0.0, -1.0, 10.0, 1.0]);
        let out = q.apply(&[3.3, 0.2, 20.0, -5.0]);
        assert!((out[0] - 3.3).abs() <= 10.0 / 255.0 / 2.0 + 1e-6, "{out:?}");
        assert!((out[1] - 0.2).abs() <= 2.0 / 255.0 / 2.0 + 1e-6, "{out:?}");
        // outside the fitted range: clamped to its ends
        assert_eq!((out[2], out[3]), (10.0, -1.0));
    }
}
