//! Adam over full batches or mini-batches (the 3D explorer's optimizer).

use super::{Gradients, Network};

/// Adam (Kingma & Ba 2015) with bias correction.
#[derive(Debug, Clone, PartialEq)]
pub struct Adam {
    pub learning_rate: f64,
    pub beta1: f64,
    pub beta2: f64,
    pub epsilon: f64,
    m: Vec<f64>,
    v: Vec<f64>,
    t: u64,
}

impl Adam {
    /// Adam with PyTorch's defaults (β1 0.9, β2 0.999, ε 1e-8).
    pub fn new(net: &Network, learning_rate: f64) -> Self {
        let n = net.param_count();
        Adam {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            epsilon: 1e-8,
            m: vec![0.0; n],
            v: vec![0.0; n],
            t: 0,
        }
    }

    /// Forgets the moment estimates.
    pub fn reset(&mut self) {
        self.m.fill(0.0);
        self.v.fill(0.0);
        self.t = 0;
    }

    /// Steps taken so far.
    pub fn steps(&self) -> u64 {
        self.t
    }

    /// One update with the gradient of the batch's mean loss.
    pub fn step(&mut self, net: &mut Network, grads: &Gradients) {
        self.t += 1;
        let (b1, b2, eps, lr) = (self.beta1, self.beta2, self.epsilon, self.learning_rate);
        let c1 = 1.0 - b1.powi(self.t.min(i32::MAX as u64) as i32);
        let c2 = 1.0 - b2.powi(self.t.min(i32::MAX as u64) as i32);
        let (m, v) = (&mut self.m, &mut self.v);
        net.update(grads, |k, theta, g| {
            let n = theta.len();
            let (m, v) = (&mut m[k..k + n], &mut v[k..k + n]);
            for (((t, g), m), v) in theta.iter_mut().zip(g).zip(m).zip(v) {
                *m = b1 * *m + (1.0 - b1) * g;
                *v = b2 * *v + (1.0 - b2) * g * g;
                *t -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glass::{Activation, Init, Loss};

    #[test]
    fn first_step_moves_each_parameter_by_about_lr() {
        let mut net = Network::new(&[3, 2], &[Activation::Linear], Init::Xavier, 9).unwrap();
        let before = net.clone();
        let (_, g) = net
            .gradients(&[1.0, -1.0, 0.5], &[0.3, 0.1], Loss::Mse)
            .unwrap();
        let mut adam = Adam::new(&net, 0.01);
        adam.step(&mut net, &g);
        for (a, b) in net.layers[0].weights.iter().zip(&before.layers[0].weights) {
            assert!(((a - b).abs() - 0.01).abs() < 1e-6);
        }
        assert_eq!(adam.steps(), 1);
    }
}
