//! Per-sample SGD with momentum: v ← μ·v − η·∇;  θ ← θ + v.

use super::{Gradients, Network};

/// Momentum SGD state: one velocity per parameter. η and μ may change between any two
/// samples (the glass box's sliders act at once, also during training).
#[derive(Debug, Clone, PartialEq)]
pub struct MomentumSgd {
    pub learning_rate: f64,
    pub momentum: f64,
    velocity: Vec<f64>,
}

impl MomentumSgd {
    pub fn new(net: &Network, learning_rate: f64, momentum: f64) -> Self {
        MomentumSgd {
            learning_rate,
            momentum,
            velocity: vec![0.0; net.param_count()],
        }
    }

    /// Zeroes every velocity (the glass box's Reset).
    pub fn reset(&mut self) {
        self.velocity.fill(0.0);
    }

    /// The velocities, in the order of [`Network::update`].
    pub fn velocity(&self) -> &[f64] {
        &self.velocity
    }

    /// One update of `net` with `grads`.
    pub fn step(&mut self, net: &mut Network, grads: &Gradients) {
        let (eta, mu) = (self.learning_rate, self.momentum);
        let v = &mut self.velocity;
        net.update(grads, |k, theta, g| {
            let v = &mut v[k..k + theta.len()];
            for ((t, g), v) in theta.iter_mut().zip(g).zip(v) {
                *v = mu * *v - eta * g;
                *t += *v;
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glass::{Activation, Init, Loss};

    #[test]
    fn update_follows_the_formula() {
        let mut net = Network::new(&[2, 1], &[Activation::Linear], Init::Xavier, 4).unwrap();
        let before = net.clone();
        let (_, g) = net
            .gradients(&[1.0, 2.0], &[0.5], Loss::SumSquared)
            .unwrap();
        let mut opt = MomentumSgd::new(&net, 0.1, 0.9);
        opt.step(&mut net, &g);
        // first step: v = −η∇
        assert!(
            (net.layers[0].weights[1] - (before.layers[0].weights[1] - 0.1 * g.weights[0][1]))
                .abs()
                < 1e-15
        );
        let w1 = net.layers[0].weights[1];
        opt.step(&mut net, &g);
        // second step: v = μ(−η∇) − η∇
        let expected = w1 + 0.9 * (-0.1 * g.weights[0][1]) - 0.1 * g.weights[0][1];
        assert!((net.layers[0].weights[1] - expected).abs() < 1e-15);
    }
}
