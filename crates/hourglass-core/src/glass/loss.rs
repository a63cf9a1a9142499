//! Losses of the glass engine: value and gradient with respect to the output.

use serde::{Deserialize, Serialize};

/// Probabilities are clamped to [EPS, 1 − EPS] inside binary cross-entropy.
pub const BCE_EPS: f64 = 1e-12;

/// A reconstruction loss for one sample.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Loss {
    /// Σ (y − t)² over the outputs: the glass box's "error".
    SumSquared,
    /// ½ Σ (y − t)²: the classic delta rule's loss, whose gradient is (y − t). The glass box
    /// trains on it and reports the sum of squares (twice its value).
    HalfSumSquared,
    /// (1/n) Σ (y − t)².
    Mse,
    /// −(1/n) Σ t·ln y + (1 − t)·ln(1 − y).
    Bce,
}

impl Loss {
    /// The loss of output `y` against target `t`.
    pub fn value(self, y: &[f64], t: &[f64]) -> f64 {
        let n = y.len() as f64;
        match self {
            Loss::SumSquared => y.iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum(),
            Loss::HalfSumSquared => {
                0.5 * y.iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
            }
            Loss::Mse => y.iter().zip(t).map(|(a, b)| (a - b) * (a - b)).sum::<f64>() / n,
            Loss::Bce => {
                -y.iter()
                    .zip(t)
                    .map(|(&a, &b)| {
                        let a = a.clamp(BCE_EPS, 1.0 - BCE_EPS);
                        b * a.ln() + (1.0 - b) * (1.0 - a).ln()
                    })
                    .sum::<f64>()
                    / n
            }
        }
    }

    /// ∂L/∂y, written into `out`.
    pub fn gradient(self, y: &[f64], t: &[f64], out: &mut [f64]) {
        let n = y.len() as f64;
        for ((o, &a), &b) in out.iter_mut().zip(y).zip(t) {
            *o = match self {
                Loss::SumSquared => 2.0 * (a - b),
                Loss::HalfSumSquared => a - b,
                Loss::Mse => 2.0 * (a - b) / n,
                Loss::Bce => {
                    let a = a.clamp(BCE_EPS, 1.0 - BCE_EPS);
                    (a - b) / (a * (1.0 - a)) / n
                }
            };
        }
    }
}

impl std::str::FromStr for Loss {
    type Err = crate::Error;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().as_str() {
            "sse" | "sum-squared" => Ok(Loss::SumSquared),
            "mse" => Ok(Loss::Mse),
            "bce" => Ok(Loss::Bce),
            other => Err(crate::Error::invalid(format!(
                "unknown loss '{other}' (expected mse, bce or sse)"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gradients_match_central_differences() {
        let y = [0.2, 0.7, 0.55, 0.9];
        let t = [0.0, 1.0, 0.3, 0.8];
        let h = 1e-6;
        for loss in [Loss::SumSquared, Loss::HalfSumSquared, Loss::Mse, Loss::Bce] {
            let mut g = [0.0; 4];
            loss.gradient(&y, &t, &mut g);
            for i in 0..4 {
                let mut p = y;
                let mut m = y;
                p[i] += h;
                m[i] -= h;
                let numeric = (loss.value(&p, &t) - loss.value(&m, &t)) / (2.0 * h);
                let rel = (numeric - g[i]).abs() / g[i].abs().max(1e-12);
                assert!(
                    rel < 1e-6,
                    "{loss:?}[{i}]: exact {}, numeric {numeric}",
                    g[i]
                );
            }
        }
    }

    #[test]
    fn sum_squared_of_known_values() {
        assert!((Loss::SumSquared.value(&[1.0, 0.0], &[0.0, 0.0]) - 1.0).abs() < 1e-15);
        assert!((Loss::Mse.value(&[1.0, 0.0], &[0.0, 0.0]) - 0.5).abs() < 1e-15);
    }
}
