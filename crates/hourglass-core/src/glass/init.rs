//! Weight initialisation schemes of the glass engine.

use serde::{Deserialize, Serialize};

use crate::rng::Rng;

/// How a layer's weights and biases are first drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Init {
    /// He: normal with σ = √(2 / fan_in), for weights and biases alike (the glass box's Reset).
    He,
    /// Xavier/Glorot: uniform in ±√(6 / (fan_in + fan_out)); biases zero.
    Xavier,
}

impl Init {
    /// Fills `weights` (fan_out × fan_in) and `biases` (fan_out).
    pub fn fill(
        self,
        fan_in: usize,
        fan_out: usize,
        weights: &mut [f64],
        biases: &mut [f64],
        rng: &mut Rng,
    ) {
        match self {
            Init::He => {
                let sigma = (2.0 / fan_in as f64).sqrt();
                for w in weights.iter_mut().chain(biases.iter_mut()) {
                    *w = sigma * rng.normal();
                }
            }
            Init::Xavier => {
                let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
                for w in weights.iter_mut() {
                    *w = rng.uniform(-limit, limit);
                }
                biases.fill(0.0);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn he_has_the_right_spread() {
        let mut rng = Rng::new(3);
        let mut w = vec![0.0; 20_000];
        let mut b = vec![0.0; 10];
        Init::He.fill(8, 2500, &mut w, &mut b, &mut rng);
        let var = w.iter().map(|x| x * x).sum::<f64>() / w.len() as f64;
        assert!((var - 0.25).abs() < 0.02, "variance {var}");
        assert!(b.iter().any(|&x| x != 0.0));
    }

    #[test]
    fn xavier_stays_in_its_bounds() {
        let mut rng = Rng::new(3);
        let mut w = vec![0.0; 1000];
        let mut b = vec![1.0; 10];
        Init::Xavier.fill(100, 10, &mut w, &mut b, &mut rng);
        let limit = (6.0f64 / 110.0).sqrt();
        assert!(w.iter().all(|x| x.abs() <= limit));
        assert!(b.iter().all(|&x| x == 0.0));
    }
}
