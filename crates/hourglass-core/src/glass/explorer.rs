//! The 3D Latent Explorer's model: an autoencoder 3 → 64 → 64 → code → 64 → 64 → 3 trained
//! by full-batch Adam on a few 3D points, with the exact opposite gradient −∂L/∂z (the
//! *trail*) of every point's latent code.

use serde::{Deserialize, Serialize};

use super::{Activation, Adam, Gradients, Init, Loss, Network, Trace};
use crate::{
    Error,
    data::{MAX_POINTS, Shape3d},
    settings::{Field, Settings},
};

/// Width of the four hidden layers.
pub const EXPLORER_HIDDEN: usize = 64;
/// Latent sizes the explorer offers.
pub const EXPLORER_LATENTS: [usize; 3] = [1, 2, 3];
/// Learning rates the explorer accepts (its default is 0.01).
pub const EXPLORER_LR_RANGE: (f64, f64) = (1e-4, 0.1);
/// Activations the hidden layers may use.
pub const EXPLORER_ACTIVATIONS: [Activation; 3] =
    [Activation::Tanh, Activation::Sigmoid, Activation::Relu];
/// Index of the code (bottleneck) layer in the network's layers.
const CODE: usize = 2;

/// Trail refresh (and timeline) intervals accepted, in epochs.
pub const TRAIL_EVERY_RANGE: (u64, u64) = (1, 10_000);
/// The dataset name that stands for uploaded points.
pub const UPLOADED: &str = "upload";

/// The 3D Latent Explorer page's settings: its data, network, optimizer and trail interval
/// (everything its page keeps in its URL).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExplorerSettings {
    /// A built-in shape's name, or [`UPLOADED`].
    pub dataset: String,
    pub points: usize,
    pub noise: f64,
    pub seed: u64,
    pub lr: f64,
    pub activation: Activation,
    pub latent: usize,
    /// Trails are refreshed, and a timeline moment kept, every this many epochs.
    pub trail_every: u64,
}

impl Default for ExplorerSettings {
    fn default() -> Self {
        ExplorerSettings {
            dataset: Shape3d::Circle.name().into(),
            // enough points that every built-in shape reads as itself (a roll, a saddle)
            points: 200,
            noise: 0.0,
            seed: 1,
            lr: 0.01,
            activation: Activation::Tanh,
            latent: 2,
            trail_every: 50,
        }
    }
}

impl Settings for ExplorerSettings {
    fn schema() -> Vec<Field> {
        let shapes: Vec<(&str, &str)> = Shape3d::ALL
            .iter()
            .map(|s| (s.name(), s.label()))
            .chain([(UPLOADED, "your points")])
            .collect();
        let activations: Vec<(&str, &str)> = EXPLORER_ACTIVATIONS
            .iter()
            .map(|a| (a.name(), a.name()))
            .collect();
        vec![
            Field::choice("dataset", "dataset", &shapes),
            Field::whole("points", "point count", (2, MAX_POINTS as u64)),
            Field::number("noise", "noise", (0.0, 1.0)),
            Field::seed(),
            Field::number("lr", "learning rate", EXPLORER_LR_RANGE)
                .log()
                .offering(&[1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1]),
            Field::choice("activation", "hidden activation", &activations),
            Field::choice(
                "latent",
                "latent size",
                &[(1, "1-D"), (2, "2-D"), (3, "3-D")],
            ),
            Field::whole("trail_every", "trail interval", TRAIL_EVERY_RANGE)
                .offering(&[10.0, 25.0, 50.0, 100.0, 250.0, 500.0]),
        ]
    }
}

impl ExplorerSettings {
    /// The network and optimizer part.
    pub fn config(&self) -> ExplorerConfig {
        ExplorerConfig {
            latent: self.latent,
            hidden: self.activation,
            learning_rate: self.lr,
        }
    }
}

/// The explorer's settings that shape its network and optimizer.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ExplorerConfig {
    pub latent: usize,
    pub hidden: Activation,
    pub learning_rate: f64,
}

impl Default for ExplorerConfig {
    fn default() -> Self {
        ExplorerConfig {
            latent: 2,
            hidden: Activation::Tanh,
            learning_rate: 0.01,
        }
    }
}

impl ExplorerConfig {
    /// Checks every setting against what the explorer offers.
    pub fn check(&self) -> Result<(), Error> {
        if !EXPLORER_LATENTS.contains(&self.latent) {
            return Err(Error::invalid(format!(
                "latent size {} is not one of 1, 2, 3",
                self.latent
            )));
        }
        if !EXPLORER_ACTIVATIONS.contains(&self.hidden) {
            return Err(Error::invalid(format!(
                "hidden activation '{}' is not one of tanh, sigmoid, relu",
                self.hidden.name()
            )));
        }
        check_learning_rate(self.learning_rate)
    }

    /// Layer sizes, input first: 3, 64, 64, latent, 64, 64, 3.
    pub fn sizes(&self) -> [usize; 7] {
        let h = EXPLORER_HIDDEN;
        [3, h, h, self.latent, h, h, 3]
    }
}

fn check_learning_rate(lr: f64) -> Result<(), Error> {
    let (lo, hi) = EXPLORER_LR_RANGE;
    if lr.is_finite() && (lo..=hi).contains(&lr) {
        Ok(())
    } else {
        Err(Error::invalid(format!(
            "learning rate {lr} is outside {lo}–{hi}"
        )))
    }
}

/// The model's state at one moment, for every point (row-major arrays).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExplorerView {
    /// Adam updates applied before this view was taken.
    pub epoch: u64,
    /// Mean over points of each point's mean squared reconstruction error.
    pub loss: f64,
    /// `n × latent` latent codes.
    pub codes: Vec<f64>,
    /// `n × 3` reconstructions.
    pub reconstructions: Vec<f64>,
    /// Each point's mean squared reconstruction error (over x, y, z).
    pub errors: Vec<f64>,
    /// `n × latent`: −∂L/∂z at each point's code, where L is the loss above.
    pub trails: Vec<f64>,
}

/// The explorer's autoencoder, its points and its optimizer.
#[derive(Debug, Clone)]
pub struct Explorer {
    pub net: Network,
    pub config: ExplorerConfig,
    adam: Adam,
    points: Vec<[f64; 3]>,
    epoch: u64,
    seed: u64,
    trace: Trace,
    grads: Gradients,
    view: ExplorerView,
}

impl Explorer {
    /// A freshly initialised explorer on `points` (Xavier for tanh and sigmoid, He for relu).
    pub fn new(points: Vec<[f64; 3]>, config: ExplorerConfig, seed: u64) -> Result<Self, Error> {
        config.check()?;
        if points.is_empty() {
            return Err(Error::invalid("the explorer needs at least one point"));
        }
        if let Some(i) = points.iter().position(|p| p.iter().any(|v| !v.is_finite())) {
            return Err(Error::invalid(format!("point {i} is not finite")));
        }
        let a = config.hidden;
        let l = Activation::Linear;
        let net = Network::new(&config.sizes(), &[a, a, l, a, a, l], init_for(a), seed)?;
        let adam = Adam::new(&net, config.learning_rate);
        let trace = net.new_trace();
        let grads = Gradients::zeros(&net);
        let mut e = Explorer {
            net,
            config,
            adam,
            points,
            epoch: 0,
            seed,
            trace,
            grads,
            view: ExplorerView::default(),
        };
        e.pass();
        Ok(e)
    }

    pub fn points(&self) -> &[[f64; 3]] {
        &self.points
    }

    /// Adam updates applied so far.
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    pub fn seed(&self) -> u64 {
        self.seed
    }

    pub fn latent(&self) -> usize {
        self.config.latent
    }

    /// Changes the learning rate from the next step on.
    pub fn set_learning_rate(&mut self, lr: f64) -> Result<(), Error> {
        check_learning_rate(lr)?;
        self.config.learning_rate = lr;
        self.adam.learning_rate = lr;
        Ok(())
    }

    /// Draws new weights from `seed`, forgets Adam's moments and returns to epoch 0.
    pub fn reset(&mut self, seed: u64) {
        self.seed = seed;
        self.net.initialize(init_for(self.config.hidden), seed);
        self.adam.reset();
        self.epoch = 0;
        self.pass();
    }

    /// The view of the current parameters (codes, reconstructions, errors, trails).
    pub fn view(&self) -> &ExplorerView {
        &self.view
    }

    /// One epoch: the gradient of the mean loss over all points, then one Adam update.
    /// Returns the loss before the update; [`Explorer::view`] is the state after it.
    pub fn step(&mut self) -> f64 {
        let loss = self.view.loss;
        self.grads.scale(1.0 / self.points.len() as f64);
        self.adam.step(&mut self.net, &self.grads);
        self.epoch += 1;
        self.pass();
        loss
    }

    /// The code of one point.
    pub fn encode(&self, x: &[f64; 3]) -> Vec<f64> {
        let mut h = x.to_vec();
        for layer in &self.net.layers[..=CODE] {
            h = apply(layer, &h);
        }
        h
    }

    /// The 3D point a code decodes to (`z` must have the latent size).
    pub fn decode(&self, z: &[f64]) -> Result<[f64; 3], Error> {
        if z.len() != self.config.latent {
            return Err(Error::invalid(format!(
                "code has {} values, the latent size is {}",
                z.len(),
                self.config.latent
            )));
        }
        let mut h = z.to_vec();
        for layer in &self.net.layers[CODE + 1..] {
            h = apply(layer, &h);
        }
        Ok([h[0], h[1], h[2]])
    }

    /// Forward and backward over every point: fills the view and leaves the summed
    /// parameter gradients in `self.grads`.
    fn pass(&mut self) {
        let n = self.points.len();
        let k = self.config.latent;
        let v = &mut self.view;
        v.epoch = self.epoch;
        v.codes.resize(n * k, 0.0);
        v.trails.resize(n * k, 0.0);
        v.reconstructions.resize(n * 3, 0.0);
        v.errors.resize(n, 0.0);
        self.grads.clear();
        let mut total = 0.0;
        for (i, p) in self.points.iter().enumerate() {
            self.net.forward_into(p, &mut self.trace);
            let e = self
                .net
                .backward_add_into(&self.trace, p, Loss::Mse, &mut self.grads);
            total += e;
            v.errors[i] = e;
            v.codes[i * k..(i + 1) * k].copy_from_slice(&self.trace.post[CODE]);
            v.reconstructions[i * 3..(i + 1) * 3].copy_from_slice(self.trace.output());
            // L is the mean of the points' errors, so ∂L/∂z_i = (1/n) ∂e_i/∂z_i
            for (t, g) in v.trails[i * k..(i + 1) * k]
                .iter_mut()
                .zip(&self.grads.outputs[CODE])
            {
                *t = -g / n as f64;
            }
        }
        v.loss = total / n as f64;
    }
}

fn init_for(a: Activation) -> Init {
    if a == Activation::Relu {
        Init::He
    } else {
        Init::Xavier
    }
}

fn apply(layer: &super::Layer, x: &[f64]) -> Vec<f64> {
    (0..layer.outputs)
        .map(|j| {
            let row = &layer.weights[j * layer.inputs..(j + 1) * layer.inputs];
            let z = row.iter().zip(x).map(|(w, x)| w * x).sum::<f64>() + layer.biases[j];
            layer.activation.apply(z)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Shape3d, points3d};

    fn explorer(shape: Shape3d, config: ExplorerConfig) -> Explorer {
        let pts = points3d(shape, 25, 0.0, 1).unwrap();
        Explorer::new(pts.points, config, 1).unwrap()
    }

    /// L as a function of point `i`'s code, everything else held fixed.
    fn loss_with_code(e: &Explorer, i: usize, z: &[f64]) -> f64 {
        let n = e.points().len();
        let mut total = 0.0;
        for (j, p) in e.points().iter().enumerate() {
            let r = if j == i {
                e.decode(z).unwrap()
            } else {
                e.decode(&e.encode(p)).unwrap()
            };
            total += Loss::Mse.value(&r, p);
        }
        total / n as f64
    }

    #[test]
    fn trails_are_the_exact_opposite_gradient_of_the_loss_at_each_code() {
        for (latent, hidden) in [
            (2, Activation::Tanh),
            (1, Activation::Sigmoid),
            (3, Activation::Relu),
        ] {
            let config = ExplorerConfig {
                latent,
                hidden,
                learning_rate: 0.01,
            };
            let mut e = explorer(Shape3d::Saddle, config);
            for _ in 0..20 {
                e.step();
            }
            let v = e.view().clone();
            let h = 1e-6;
            for i in [0, 7, 24] {
                let z = &v.codes[i * latent..(i + 1) * latent];
                assert_eq!(z, &e.encode(&e.points()[i])[..]);
                for d in 0..latent {
                    let (mut p, mut m) = (z.to_vec(), z.to_vec());
                    p[d] += h;
                    m[d] -= h;
                    let numeric =
                        -(loss_with_code(&e, i, &p) - loss_with_code(&e, i, &m)) / (2.0 * h);
                    let exact = v.trails[i * latent + d];
                    let rel = (numeric - exact).abs() / numeric.abs().max(exact.abs()).max(1e-9);
                    assert!(
                        rel < 1e-5,
                        "latent {latent} point {i} dim {d}: exact {exact}, numeric {numeric}"
                    );
                }
            }
        }
    }

    #[test]
    fn the_view_matches_the_network() {
        let e = explorer(Shape3d::Circle, ExplorerConfig::default());
        let v = e.view();
        let p = e.points()[3];
        let r = e.decode(&e.encode(&p)).unwrap();
        assert_eq!(&v.reconstructions[9..12], &r[..]);
        assert!((v.errors[3] - Loss::Mse.value(&r, &p)).abs() < 1e-15);
        let mean = v.errors.iter().sum::<f64>() / 25.0;
        assert!((v.loss - mean).abs() < 1e-15);
        assert_eq!(
            e.net.param_count(),
            4 * 64 + 64 * 65 + 65 * 2 + 3 * 64 + 64 * 65 + 65 * 3
        );
    }

    #[test]
    fn full_batch_adam_learns_every_built_in_shape() {
        for shape in Shape3d::ALL {
            let mut e = explorer(shape, ExplorerConfig::default());
            let first = e.view().loss;
            for _ in 0..1500 {
                e.step();
            }
            let last = e.view().loss;
            assert!(last < 0.1 * first, "{shape:?}: loss {first} -> {last}");
        }
    }

    #[test]
    fn same_seed_same_run_and_reset_returns_to_the_start() {
        let mut a = explorer(Shape3d::Sine, ExplorerConfig::default());
        let start = a.view().clone();
        let mut b = a.clone();
        for _ in 0..10 {
            a.step();
            b.step();
        }
        assert_eq!(a.view(), b.view());
        assert_eq!(a.epoch(), 10);
        a.reset(1);
        assert_eq!(a.view(), &start);
        a.reset(2);
        assert_ne!(a.view().codes, start.codes);
    }

    #[test]
    fn bad_settings_are_refused() {
        let pts = vec![[0.0, 0.0, 0.0]];
        let bad = |c: ExplorerConfig| Explorer::new(pts.clone(), c, 1).unwrap_err().to_string();
        let d = ExplorerConfig::default();
        assert!(bad(ExplorerConfig { latent: 4, ..d }).contains("latent size 4"));
        assert!(
            bad(ExplorerConfig {
                learning_rate: 0.5,
                ..d
            })
            .contains("learning rate")
        );
        assert!(
            bad(ExplorerConfig {
                hidden: Activation::Linear,
                ..d
            })
            .contains("hidden activation")
        );
        assert!(Explorer::new(vec![], d, 1).is_err());
        assert!(Explorer::new(vec![[f64::NAN, 0.0, 0.0]], d, 1).is_err());
        let mut e = Explorer::new(pts, d, 1).unwrap();
        assert!(e.set_learning_rate(f64::NAN).is_err());
        assert!(e.decode(&[1.0]).is_err());
    }
}
