//! A dense multilayer network in f64 whose every number can be read.

use serde::{Deserialize, Serialize};

use super::{Activation, Init, Loss};
use crate::{Error, rng::Rng};

/// One fully connected layer: `h = act(W·x + b)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    pub inputs: usize,
    pub outputs: usize,
    /// Row-major `outputs × inputs`: the weight from input `i` to output `j` is
    /// `weights[j * inputs + i]`.
    pub weights: Vec<f64>,
    pub biases: Vec<f64>,
    pub activation: Activation,
}

impl Layer {
    /// The weight from input `i` to output `j`.
    pub fn weight(&self, j: usize, i: usize) -> f64 {
        self.weights[j * self.inputs + i]
    }
}

/// A feed-forward network: the glass box and the 3D explorer are both one of these.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    pub layers: Vec<Layer>,
}

/// Everything a forward pass computed: per layer, the pre-activations `z` and the
/// activations `h = act(z)`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trace {
    pub input: Vec<f64>,
    pub pre: Vec<Vec<f64>>,
    pub post: Vec<Vec<f64>>,
}

impl Trace {
    /// The network's output.
    pub fn output(&self) -> &[f64] {
        self.post.last().map(Vec::as_slice).unwrap_or(&self.input)
    }
}

/// Gradients of a loss: for every parameter, and ∂L/∂h for every layer's output `h`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Gradients {
    pub weights: Vec<Vec<f64>>,
    pub biases: Vec<Vec<f64>>,
    /// `outputs[l]` = ∂L/∂h_l, the gradient with respect to layer `l`'s activations.
    /// (∂L/∂x for the input itself is not computed: nothing needs it.)
    pub outputs: Vec<Vec<f64>>,
    /// ∂L/∂z of the layer being differentiated (scratch of the backward pass).
    dz: Vec<f64>,
}

impl Gradients {
    /// Zeroed gradients shaped like `net`.
    pub fn zeros(net: &Network) -> Self {
        Gradients {
            weights: net
                .layers
                .iter()
                .map(|l| vec![0.0; l.weights.len()])
                .collect(),
            biases: net.layers.iter().map(|l| vec![0.0; l.outputs]).collect(),
            outputs: net.layers.iter().map(|l| vec![0.0; l.outputs]).collect(),
            dz: vec![0.0; net.layers.iter().map(|l| l.outputs).max().unwrap_or(0)],
        }
    }

    /// Sets every parameter gradient to zero.
    pub fn clear(&mut self) {
        for v in self.weights.iter_mut().chain(self.biases.iter_mut()) {
            v.fill(0.0);
        }
    }

    /// `self *= k` for the parameter gradients.
    pub fn scale(&mut self, k: f64) {
        for v in self.weights.iter_mut().chain(self.biases.iter_mut()) {
            v.iter_mut().for_each(|x| *x *= k);
        }
    }
}

impl Network {
    /// A network with the given layer sizes (`sizes[0]` inputs) and one activation per layer.
    pub fn new(
        sizes: &[usize],
        activations: &[Activation],
        init: Init,
        seed: u64,
    ) -> Result<Self, Error> {
        if sizes.len() < 2 {
            return Err(Error::invalid(
                "a network needs at least an input and an output size",
            ));
        }
        if let Some(pos) = sizes.iter().position(|&s| s == 0) {
            return Err(Error::invalid(format!("layer {pos} has size 0")));
        }
        if activations.len() != sizes.len() - 1 {
            return Err(Error::invalid(format!(
                "{} layers need {} activations, got {}",
                sizes.len() - 1,
                sizes.len() - 1,
                activations.len()
            )));
        }
        let layers = sizes
            .windows(2)
            .zip(activations)
            .map(|(w, &activation)| Layer {
                inputs: w[0],
                outputs: w[1],
                weights: vec![0.0; w[0] * w[1]],
                biases: vec![0.0; w[1]],
                activation,
            })
            .collect();
        let mut net = Network { layers };
        net.initialize(init, seed);
        Ok(net)
    }

    /// Draws every weight and bias afresh.
    pub fn initialize(&mut self, init: Init, seed: u64) {
        let mut rng = Rng::new(seed);
        for l in &mut self.layers {
            init.fill(l.inputs, l.outputs, &mut l.weights, &mut l.biases, &mut rng);
        }
    }

    pub fn inputs(&self) -> usize {
        self.layers.first().map_or(0, |l| l.inputs)
    }

    pub fn outputs(&self) -> usize {
        self.layers.last().map_or(0, |l| l.outputs)
    }

    /// Layer sizes, input first.
    pub fn sizes(&self) -> Vec<usize> {
        let mut s = vec![self.inputs()];
        s.extend(self.layers.iter().map(|l| l.outputs));
        s
    }

    /// Number of weights and biases.
    pub fn param_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weights.len() + l.biases.len())
            .sum()
    }

    /// A trace with buffers sized for this network.
    pub fn new_trace(&self) -> Trace {
        Trace {
            input: vec![0.0; self.inputs()],
            pre: self.layers.iter().map(|l| vec![0.0; l.outputs]).collect(),
            post: self.layers.iter().map(|l| vec![0.0; l.outputs]).collect(),
        }
    }

    fn check_input(&self, x: &[f64]) -> Result<(), Error> {
        if x.len() != self.inputs() {
            return Err(Error::invalid(format!(
                "input has {} values, the network takes {}",
                x.len(),
                self.inputs()
            )));
        }
        Ok(())
    }

    /// Runs the network on `x`, keeping every pre-activation and activation.
    pub fn forward(&self, x: &[f64]) -> Result<Trace, Error> {
        self.check_input(x)?;
        let mut trace = self.new_trace();
        self.forward_into(x, &mut trace);
        Ok(trace)
    }

    /// The network's output for `x`.
    pub fn predict(&self, x: &[f64]) -> Result<Vec<f64>, Error> {
        Ok(self.forward(x)?.output().to_vec())
    }

    /// Forward pass into a trace from [`Network::new_trace`]; allocates nothing.
    /// `x` must have [`Network::inputs`] values.
    pub fn forward_into(&self, x: &[f64], trace: &mut Trace) {
        trace.input.copy_from_slice(x);
        for (l, layer) in self.layers.iter().enumerate() {
            let (before, after) = trace.post.split_at_mut(l);
            let input: &[f64] = if l == 0 { &trace.input } else { &before[l - 1] };
            let z = &mut trace.pre[l];
            let h = &mut after[0];
            // one dot product per output; the outputs' sums are independent, so the CPU
            // overlaps them (each sum adds its terms in input order, then the bias)
            let input = &input[..layer.inputs];
            let rows = layer.weights.chunks_exact(layer.inputs);
            for ((zj, hj), (row, b)) in z.iter_mut().zip(h.iter_mut()).zip(rows.zip(&layer.biases))
            {
                let mut s = 0.0;
                for (w, x) in row.iter().zip(input) {
                    s += w * x;
                }
                *zj = s + b;
                *hj = layer.activation.apply(*zj);
            }
        }
    }

    /// Backward pass: fills `grads` (parameter gradients are *overwritten*) and returns the
    /// loss. `trace` must come from [`Network::forward_into`] on the same parameters.
    pub fn backward_into(
        &self,
        trace: &Trace,
        target: &[f64],
        loss: Loss,
        grads: &mut Gradients,
    ) -> f64 {
        self.backward(trace, target, loss, grads, false)
    }

    /// Like [`Network::backward_into`], but *adds* this sample's parameter gradients to
    /// those already in `grads` (a batch sums its samples without a second buffer).
    /// `grads.outputs` still holds this sample's ∂L/∂h.
    pub fn backward_add_into(
        &self,
        trace: &Trace,
        target: &[f64],
        loss: Loss,
        grads: &mut Gradients,
    ) -> f64 {
        self.backward(trace, target, loss, grads, true)
    }

    fn backward(
        &self,
        trace: &Trace,
        target: &[f64],
        loss: Loss,
        grads: &mut Gradients,
        add: bool,
    ) -> f64 {
        let n = self.layers.len();
        let value = loss.value(trace.output(), target);
        loss.gradient(trace.output(), target, &mut grads.outputs[n - 1]);
        for l in (0..n).rev() {
            let layer = &self.layers[l];
            let input: &[f64] = if l == 0 {
                &trace.input
            } else {
                &trace.post[l - 1]
            };
            let (ni, no) = (layer.inputs, layer.outputs);
            let input = &input[..ni];
            let (lower, upper) = grads.outputs.split_at_mut(l);
            let dh = &upper[0][..no];
            let dz = &mut grads.dz[..no];
            for (j, d) in dz.iter_mut().enumerate() {
                *d = dh[j]
                    * layer
                        .activation
                        .derivative(trace.pre[l][j], trace.post[l][j]);
            }
            let gb = &mut grads.biases[l][..no];
            let gw = grads.weights[l].chunks_exact_mut(ni);
            if add {
                gb.iter_mut().zip(dz.iter()).for_each(|(g, d)| *g += d);
                for (row, &d) in gw.zip(dz.iter()) {
                    row.iter_mut().zip(input).for_each(|(g, x)| *g += d * x);
                }
            } else {
                gb.copy_from_slice(dz);
                for (row, &d) in gw.zip(dz.iter()) {
                    row.iter_mut().zip(input).for_each(|(g, x)| *g = d * x);
                }
            }
            // the first layer passes nothing further down; the others: ∂L/∂h below, each a
            // sum over this layer's outputs in order
            if l > 0 {
                let w = &layer.weights[..no * ni];
                for (i, dx) in lower[l - 1][..ni].iter_mut().enumerate() {
                    let mut s = 0.0;
                    for (j, d) in dz.iter().enumerate() {
                        s += d * w[j * ni + i];
                    }
                    *dx = s;
                }
            }
        }
        value
    }

    /// Loss and all gradients for one sample; changes no state.
    pub fn gradients(
        &self,
        x: &[f64],
        target: &[f64],
        loss: Loss,
    ) -> Result<(f64, Gradients), Error> {
        let trace = self.forward(x)?;
        if target.len() != self.outputs() {
            return Err(Error::invalid(format!(
                "target has {} values, the network outputs {}",
                target.len(),
                self.outputs()
            )));
        }
        let mut grads = Gradients::zeros(self);
        let value = self.backward_into(&trace, target, loss, &mut grads);
        Ok((value, grads))
    }

    /// Mean loss and mean parameter gradients over a batch of `(input, target)` pairs (for
    /// full-batch or mini-batch optimizers such as [`super::Adam`]).
    pub fn batch_gradients<'a>(
        &self,
        batch: impl IntoIterator<Item = (&'a [f64], &'a [f64])>,
        loss: Loss,
    ) -> Result<(f64, Gradients), Error> {
        let mut total = Gradients::zeros(self);
        let mut trace = self.new_trace();
        let (mut sum, mut n) = (0.0, 0usize);
        for (x, t) in batch {
            self.check_input(x)?;
            if t.len() != self.outputs() {
                return Err(Error::invalid(format!(
                    "target has {} values, the network outputs {}",
                    t.len(),
                    self.outputs()
                )));
            }
            self.forward_into(x, &mut trace);
            sum += self.backward_add_into(&trace, t, loss, &mut total);
            n += 1;
        }
        if n == 0 {
            return Err(Error::invalid("an empty batch has no gradient"));
        }
        total.scale(1.0 / n as f64);
        Ok((sum / n as f64, total))
    }

    /// Loss of one sample.
    pub fn loss(&self, x: &[f64], target: &[f64], loss: Loss) -> Result<f64, Error> {
        Ok(loss.value(&self.predict(x)?, target))
    }

    /// Applies `f(offset, params, gradients)` to each block of parameters (a layer's weights,
    /// then its biases, layer by layer), where `offset` is the block's first index in the
    /// flat order that optimizers keep their state in. Whole slices, so the optimizer's
    /// arithmetic vectorizes.
    pub fn update(&mut self, grads: &Gradients, mut f: impl FnMut(usize, &mut [f64], &[f64])) {
        let mut k = 0;
        for (l, layer) in self.layers.iter_mut().enumerate() {
            f(k, &mut layer.weights, &grads.weights[l]);
            k += layer.weights.len();
            f(k, &mut layer.biases, &grads.biases[l]);
            k += layer.biases.len();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn param_mut(n: &mut Network, l: usize, k: usize) -> &mut f64 {
        let nw = n.layers[l].weights.len();
        if k < nw {
            &mut n.layers[l].weights[k]
        } else {
            &mut n.layers[l].biases[k - nw]
        }
    }

    fn check_against_finite_differences(net: &Network, x: &[f64], t: &[f64], loss: Loss) {
        let h = 1e-5;
        let (_, g) = net.gradients(x, t, loss).unwrap();
        let mut worst: f64 = 0.0;
        for l in 0..net.layers.len() {
            for k in 0..net.layers[l].weights.len() + net.layers[l].biases.len() {
                let nw = net.layers[l].weights.len();
                let mut p = net.clone();
                let mut m = net.clone();
                *param_mut(&mut p, l, k) += h;
                *param_mut(&mut m, l, k) -= h;
                let numeric =
                    (p.loss(x, t, loss).unwrap() - m.loss(x, t, loss).unwrap()) / (2.0 * h);
                let exact = if k < nw {
                    g.weights[l][k]
                } else {
                    g.biases[l][k - nw]
                };
                // relative error, with a floor so gradients near zero are judged by absolute error
                let rel = (numeric - exact).abs() / numeric.abs().max(exact.abs()).max(1e-4);
                worst = worst.max(rel);
                assert!(
                    rel < 1e-6,
                    "{loss:?} layer {l} param {k}: exact {exact}, numeric {numeric}"
                );
            }
        }
        assert!(worst < 1e-6);
    }

    #[test]
    fn parameter_gradients_match_finite_differences_for_every_activation_and_loss() {
        let x = [0.3, -0.8, 0.5];
        let t = [0.2, 0.9, 0.4];
        for act in Activation::ALL {
            for loss in [Loss::SumSquared, Loss::HalfSumSquared, Loss::Mse, Loss::Bce] {
                // BCE needs outputs in (0, 1): sigmoid output layer.
                let out = if loss == Loss::Bce {
                    Activation::Sigmoid
                } else {
                    act
                };
                // He init draws biases too, so no unit sits exactly on the kink of relu at 0.
                let net = Network::new(&[3, 5, 2, 3], &[act, act, out], Init::He, 11).unwrap();
                check_against_finite_differences(&net, &x, &t, loss);
            }
        }
    }

    #[test]
    fn layer_output_gradients_match_finite_differences() {
        // ∂L/∂h for a hidden layer: perturb h and run the rest of the network from there.
        let net = Network::new(&[3, 4, 2, 4, 3], &[Activation::Tanh; 4], Init::He, 5).unwrap();
        let x = [0.1, 0.7, -0.4];
        let t = [0.5, -0.2, 0.3];
        let (_, g) = net.gradients(&x, &t, Loss::Mse).unwrap();
        let trace = net.forward(&x).unwrap();
        let tail_loss = |from: usize, h: &[f64]| {
            let tail = Network {
                layers: net.layers[from + 1..].to_vec(),
            };
            Loss::Mse.value(&tail.predict(h).unwrap(), &t)
        };
        let eps = 1e-6;
        for l in 0..3 {
            for i in 0..trace.post[l].len() {
                let mut p = trace.post[l].clone();
                let mut m = trace.post[l].clone();
                p[i] += eps;
                m[i] -= eps;
                let numeric = (tail_loss(l, &p) - tail_loss(l, &m)) / (2.0 * eps);
                let exact = g.outputs[l][i];
                let rel = (numeric - exact).abs() / numeric.abs().max(exact.abs()).max(1e-7);
                assert!(
                    rel < 1e-6,
                    "layer {l} unit {i}: exact {exact}, numeric {numeric}"
                );
            }
        }
    }

    #[test]
    fn batch_gradient_is_the_mean_of_sample_gradients() {
        let net = Network::new(
            &[2, 3, 2],
            &[Activation::Tanh, Activation::Linear],
            Init::He,
            2,
        )
        .unwrap();
        let xs = [[0.1, 0.2], [0.5, -0.3]];
        let (l, g) = net
            .batch_gradients(xs.iter().map(|x| (&x[..], &x[..])), Loss::Mse)
            .unwrap();
        let (l0, g0) = net.gradients(&xs[0], &xs[0], Loss::Mse).unwrap();
        let (l1, g1) = net.gradients(&xs[1], &xs[1], Loss::Mse).unwrap();
        assert!((l - (l0 + l1) / 2.0).abs() < 1e-15);
        assert!((g.weights[0][3] - (g0.weights[0][3] + g1.weights[0][3]) / 2.0).abs() < 1e-15);
        assert!(net.batch_gradients(std::iter::empty(), Loss::Mse).is_err());
    }

    #[test]
    fn adam_on_full_batches_fits_a_3d_curve_through_a_2d_code() {
        // the 3D explorer's model: 3→64→64→2→64→64→3, tanh hidden, linear code and output
        let pts = crate::data::points3d(crate::data::Shape3d::TwistedCubic, 25, 0.0, 1).unwrap();
        let xs: Vec<Vec<f64>> = pts.points.iter().map(|p| p.to_vec()).collect();
        let t = Activation::Tanh;
        let l = Activation::Linear;
        let mut net = Network::new(
            &[3, 64, 64, 2, 64, 64, 3],
            &[t, t, l, t, t, l],
            Init::Xavier,
            1,
        )
        .unwrap();
        let mut adam = super::super::Adam::new(&net, 0.01);
        let batch = || xs.iter().map(|x| (&x[..], &x[..]));
        let (first, _) = net.batch_gradients(batch(), Loss::Mse).unwrap();
        for _ in 0..300 {
            let (_, g) = net.batch_gradients(batch(), Loss::Mse).unwrap();
            adam.step(&mut net, &g);
        }
        let (last, _) = net.batch_gradients(batch(), Loss::Mse).unwrap();
        assert!(last < 0.1 * first, "loss {first} -> {last}");
    }

    #[test]
    fn glass_box_network_has_168_parameters() {
        let net = Network::new(&[9, 6, 3, 6, 9], &[Activation::Sigmoid; 4], Init::He, 1).unwrap();
        assert_eq!(net.param_count(), 168);
        assert_eq!(net.sizes(), vec![9, 6, 3, 6, 9]);
    }

    #[test]
    fn bad_shapes_are_errors() {
        assert!(Network::new(&[9, 0, 9], &[Activation::Relu; 2], Init::He, 1).is_err());
        assert!(Network::new(&[9, 3, 9], &[Activation::Relu], Init::He, 1).is_err());
        let net = Network::new(&[2, 2], &[Activation::Relu], Init::He, 1).unwrap();
        assert!(net.forward(&[1.0]).is_err());
        assert!(net.gradients(&[1.0, 2.0], &[1.0], Loss::Mse).is_err());
    }

    #[test]
    fn introspection_changes_no_state() {
        let net = Network::new(&[9, 6, 3, 6, 9], &[Activation::Sigmoid; 4], Init::He, 1).unwrap();
        let before = net.clone();
        let _ = net
            .gradients(&[1.0; 9], &[0.0; 9], Loss::SumSquared)
            .unwrap();
        let _ = net.forward(&[0.5; 9]).unwrap();
        assert_eq!(net, before);
    }
}
