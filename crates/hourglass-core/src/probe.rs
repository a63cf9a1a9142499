//! A linear probe: what a representation is worth to a classifier.
//!
//! Multinomial logistic regression with an L2 penalty, as scikit-learn's `LogisticRegression`
//! fits it by default (`C = 1`, the intercept not penalised, the multinomial loss): the
//! minimiser of `C·Σᵢ −log softmax(xᵢW + b)_{yᵢ} + ½‖W‖²`, solved to convergence with L-BFGS
//! (argmin's, with a Moré–Thuente line search). Features are standardised on the labelled
//! set first (each column to mean 0, standard deviation 1, as `StandardScaler` does), and
//! the same scaling is applied to the test set.
//!
//! The objective is divided by `C·n` (the same minimiser; scikit-learn does the same), so
//! the gradient's scale, and the tolerance on it, does not grow with the number of labels.

use std::sync::Mutex;

use argmin::{
    core::{
        CostFunction, Error as ArgminError, Executor, Gradient, State, TerminationReason,
        TerminationStatus,
    },
    solver::{linesearch::MoreThuenteLineSearch, quasinewton::LBFGS},
};

use crate::{
    Error,
    tensor::{mat, matmul_parallel},
};

/// Labels are class numbers below this.
pub const MAX_CLASSES: usize = 1_000;

/// How the probe is fitted.
#[derive(Clone, Copy, Debug)]
pub struct ProbeOptions {
    /// Inverse regularisation strength (scikit-learn's `C`).
    pub c: f64,
    /// At most this many L-BFGS iterations.
    pub max_iterations: u64,
    /// Converged when the gradient's L2 norm is below this (scikit-learn's `tol`, 1e-4, is
    /// on the largest component of the same gradient).
    pub tolerance: f64,
}

impl Default for ProbeOptions {
    fn default() -> Self {
        ProbeOptions {
            c: 1.0,
            max_iterations: 2_000,
            tolerance: 1e-5,
        }
    }
}

/// A fitted probe: the scaling of the labelled set and the classifier on top of it.
#[derive(Clone, Debug)]
pub struct Probe {
    pub dim: usize,
    pub classes: usize,
    mean: Vec<f32>,
    scale: Vec<f32>,
    /// `[dim × classes]`, row-major.
    weights: Vec<f32>,
    bias: Vec<f32>,
    /// L-BFGS iterations taken.
    pub iterations: u64,
    /// Whether the gradient fell below the tolerance (or within 100× of it where f32
    /// rounding stopped the line search); else the iteration limit stopped it.
    pub converged: bool,
    /// The gradient's L2 norm where the solver stopped.
    pub gradient_norm: f64,
}

/// The first `per_class` samples of each class, in the data's order (all of a class's
/// samples when it has fewer), as indices.
pub fn first_per_class(labels: &[u32], per_class: usize) -> Vec<usize> {
    let mut taken = std::collections::HashMap::<u32, usize>::new();
    labels
        .iter()
        .enumerate()
        .filter_map(|(i, &l)| {
            let t = taken.entry(l).or_default();
            (*t < per_class).then(|| {
                *t += 1;
                i
            })
        })
        .collect()
}

/// A probe being fitted, a few solver iterations at a time (a page's job fits one between
/// its other work). Each [`ProbeFit::advance`] restarts L-BFGS from where the last stopped:
/// the objective is strictly convex, so the restarts reach the same minimiser as one long run
/// ([`Probe::fit`] is one `advance` of the whole budget).
pub struct ProbeFit {
    problem: Objective,
    opts: ProbeOptions,
    mean: Vec<f32>,
    scale: Vec<f32>,
    theta: Vec<f64>,
    iterations: u64,
    converged: bool,
    /// The solver stopped before a call's limit (converged, or nothing left to gain).
    stopped: bool,
    gradient_norm: f64,
}

impl ProbeFit {
    /// Checks the labelled set and standardises it; nothing is solved yet.
    pub fn new(x: &[f32], dim: usize, labels: &[u32], opts: &ProbeOptions) -> Result<Self, Error> {
        let n = labels.len();
        if dim == 0 || x.len() != n * dim {
            return Err(Error::invalid(format!(
                "{} feature values for {n} labelled samples of {dim} features",
                x.len()
            )));
        }
        let classes = labels.iter().map(|&l| l as usize + 1).max().unwrap_or(0);
        if classes > MAX_CLASSES {
            return Err(Error::invalid(format!(
                "label {} is above the probe's {MAX_CLASSES} classes",
                classes - 1
            )));
        }
        let present = {
            let mut seen = vec![false; classes];
            labels.iter().for_each(|&l| seen[l as usize] = true);
            seen.iter().filter(|&&s| s).count()
        };
        if present < 2 {
            return Err(Error::invalid(format!(
                "a probe needs samples of at least two classes; the labelled set has {present}"
            )));
        }
        if !(opts.c > 0.0 && opts.c.is_finite()) {
            return Err(Error::invalid(format!("C = {} must be positive", opts.c)));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid("the features hold a NaN or an infinity"));
        }
        let (mean, scale) = standardiser(x, n, dim);
        let z = standardise(x, dim, &mean, &scale);
        let problem = Objective {
            x: z,
            n,
            dim,
            classes,
            labels: labels.to_vec(),
            penalty: 1.0 / (opts.c * n as f64),
            last: Mutex::new(None),
        };
        Ok(ProbeFit {
            theta: vec![0.0; (dim + 1) * classes],
            problem,
            opts: *opts,
            mean,
            scale,
            iterations: 0,
            converged: false,
            stopped: false,
            gradient_norm: f64::INFINITY,
        })
    }

    /// Cost of one evaluation of the objective, in multiply-adds (two products of the
    /// labelled set with the weights): a caller sizes its `advance` by it.
    pub fn work_per_iteration(&self) -> usize {
        2 * self.problem.n * self.problem.dim * self.problem.classes
    }

    /// L-BFGS iterations taken so far.
    pub fn iterations(&self) -> u64 {
        self.iterations
    }

    /// Converged, or out of iterations: [`ProbeFit::probe`] is final.
    pub fn done(&self) -> bool {
        self.converged || self.stopped || self.iterations >= self.opts.max_iterations
    }

    /// Up to `iterations` more L-BFGS iterations (fewer once the budget of
    /// `max_iterations` is spent); true when the fit is done.
    pub fn advance(&mut self, iterations: u64) -> Result<bool, Error> {
        if self.done() {
            return Ok(true);
        }
        let budget = iterations
            .max(1)
            .min(self.opts.max_iterations - self.iterations);
        let line = MoreThuenteLineSearch::new();
        let solver = LBFGS::new(line, 10)
            .with_tolerance_grad(self.opts.tolerance)
            .and_then(|s| s.with_tolerance_cost(0.0))
            .map_err(|e| Error::invalid(format!("the probe's solver: {e}")))?;
        let start = self.theta.clone();
        let result = Executor::new(&self.problem, solver)
            .configure(|state| state.param(start).max_iters(budget))
            .run()
            .map_err(|e| Error::invalid(format!("the probe did not fit: {e}")))?;
        let state = result.state();
        let theta = state
            .get_best_param()
            .ok_or_else(|| Error::invalid("the probe's solver returned no parameters"))?
            .clone();
        // at the best point (a stopped line search leaves no gradient in the state)
        self.gradient_norm = self
            .problem
            .evaluate(&theta)
            .1
            .iter()
            .map(|v| v * v)
            .sum::<f64>()
            .sqrt();
        // The line search gives up when the cost, summed in f32 products, no longer falls by
        // more than its rounding: at that point the gradient is as small as f32 allows, and
        // the fit is as converged as it gets.
        let status = state.get_termination_status();
        self.converged = matches!(
            status,
            TerminationStatus::Terminated(TerminationReason::SolverConverged)
        ) || self.gradient_norm < 100.0 * self.opts.tolerance;
        // stopped for any reason but this call's limit: a longer run would have stopped there too
        self.stopped = !matches!(
            status,
            TerminationStatus::Terminated(TerminationReason::MaxItersReached)
        );
        let taken = state.get_iter();
        self.iterations += taken.max(1);
        self.theta = theta;
        Ok(self.done())
    }

    /// The probe at the point reached.
    pub fn probe(&self) -> Probe {
        let (dim, classes) = (self.problem.dim, self.problem.classes);
        Probe {
            dim,
            classes,
            mean: self.mean.clone(),
            scale: self.scale.clone(),
            weights: self.theta[..dim * classes]
                .iter()
                .map(|&v| v as f32)
                .collect(),
            bias: self.theta[dim * classes..]
                .iter()
                .map(|&v| v as f32)
                .collect(),
            iterations: self.iterations,
            converged: self.converged,
            gradient_norm: self.gradient_norm,
        }
    }
}

impl Probe {
    /// Fits the probe to `n` rows of `dim` features (`x`, row-major) with their labels.
    pub fn fit(x: &[f32], dim: usize, labels: &[u32], opts: &ProbeOptions) -> Result<Probe, Error> {
        let mut fit = ProbeFit::new(x, dim, labels, opts)?;
        fit.advance(opts.max_iterations)?;
        Ok(fit.probe())
    }

    /// Each row's most likely class.
    pub fn predict(&self, x: &[f32]) -> Result<Vec<u32>, Error> {
        if !x.len().is_multiple_of(self.dim) {
            return Err(Error::invalid(format!(
                "{} values are not rows of {} features",
                x.len(),
                self.dim
            )));
        }
        let n = x.len() / self.dim;
        let z = standardise(x, self.dim, &self.mean, &self.scale);
        let logits = logits(&z, n, self.dim, self.classes, &self.weights, &self.bias);
        Ok(logits
            .chunks(self.classes)
            .map(|row| {
                let mut best = 0;
                for (k, &v) in row.iter().enumerate() {
                    if v > row[best] {
                        best = k;
                    }
                }
                best as u32
            })
            .collect())
    }

    /// The fraction of rows whose predicted class is their label.
    pub fn accuracy(&self, x: &[f32], labels: &[u32]) -> Result<f64, Error> {
        let predicted = self.predict(x)?;
        if predicted.len() != labels.len() || labels.is_empty() {
            return Err(Error::invalid(format!(
                "{} rows of features for {} labels",
                predicted.len(),
                labels.len()
            )));
        }
        let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
        Ok(right as f64 / labels.len() as f64)
    }
}

/// Each column's mean and 1/standard deviation (population, as `StandardScaler`); a constant
/// column is left unscaled (scikit-learn's choice: its scale is 1).
fn standardiser(x: &[f32], n: usize, dim: usize) -> (Vec<f32>, Vec<f32>) {
    let mut mean = vec![0.0f64; dim];
    for row in x.chunks(dim) {
        for (m, &v) in mean.iter_mut().zip(row) {
            *m += v as f64;
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut var = vec![0.0f64; dim];
    for row in x.chunks(dim) {
        for ((s, &m), &v) in var.iter_mut().zip(&mean).zip(row) {
            *s += (v as f64 - m).powi(2);
        }
    }
    let scale = var
        .iter()
        .map(|&s| {
            let sd = (s / n as f64).sqrt();
            if sd > 1e-12 { (1.0 / sd) as f32 } else { 1.0 }
        })
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), scale)
}

fn standardise(x: &[f32], dim: usize, mean: &[f32], scale: &[f32]) -> Vec<f32> {
    x.chunks(dim)
        .flat_map(|row| {
            row.iter()
                .zip(mean)
                .zip(scale)
                .map(|((&v, &m), &s)| (v - m) * s)
        })
        .collect()
}

/// `x [n×dim] · w [dim×classes] + b`.
fn logits(x: &[f32], n: usize, dim: usize, classes: usize, w: &[f32], b: &[f32]) -> Vec<f32> {
    let mut out: Vec<f32> = b.iter().copied().cycle().take(n * classes).collect();
    matmul_parallel(
        n,
        classes,
        dim,
        &mut out,
        true,
        mat(x, dim, 1),
        mat(w, classes, 1),
    );
    out
}

/// A point with its cost and gradient.
type Evaluated = (Vec<f64>, f64, Vec<f64>);

/// The penalised loss over the standardised labelled set, divided by `C·n`.
struct Objective {
    x: Vec<f32>,
    n: usize,
    dim: usize,
    classes: usize,
    labels: Vec<u32>,
    /// `1 / (C·n)`: the L2 term's weight once the loss is a mean.
    penalty: f64,
    /// The last point evaluated, with its cost and gradient: the line search asks for both
    /// at each point, and one pass gives both.
    last: Mutex<Option<Evaluated>>,
}

impl Objective {
    fn evaluate(&self, theta: &[f64]) -> (f64, Vec<f64>) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((at, cost, grad)) = last.as_ref()
            && at.as_slice() == theta
        {
            return (*cost, grad.clone());
        }
        let (n, dim, k) = (self.n, self.dim, self.classes);
        let w: Vec<f32> = theta[..dim * k].iter().map(|&v| v as f32).collect();
        let b: Vec<f32> = theta[dim * k..].iter().map(|&v| v as f32).collect();
        let mut r = logits(&self.x, n, dim, k, &w, &b);
        // softmax in place; r becomes P − Y, the loss's gradient with respect to the logits
        let mut loss = 0.0f64;
        for (row, &y) in r.chunks_mut(k).zip(&self.labels) {
            let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            let sum: f64 = row.iter().map(|&v| ((v - max) as f64).exp()).sum();
            loss += sum.ln() + max as f64 - row[y as usize] as f64;
            for v in row.iter_mut() {
                *v = (((*v - max) as f64).exp() / sum) as f32;
            }
            row[y as usize] -= 1.0;
        }
        let mut gw = vec![0.0f32; dim * k];
        // xᵀ [dim×n] · (P − Y) [n×k]
        matmul_parallel(
            dim,
            k,
            n,
            &mut gw,
            false,
            mat(&self.x, 1, dim),
            mat(&r, k, 1),
        );
        let scale = 1.0 / n as f64;
        let mut grad: Vec<f64> = gw
            .iter()
            .zip(&theta[..dim * k])
            .map(|(&g, &w)| g as f64 * scale + self.penalty * w)
            .collect();
        let mut gb = vec![0.0f64; k];
        for row in r.chunks(k) {
            for (g, &v) in gb.iter_mut().zip(row) {
                *g += v as f64;
            }
        }
        grad.extend(gb.iter().map(|g| g * scale));
        let l2: f64 = theta[..dim * k].iter().map(|w| w * w).sum();
        let cost = loss * scale + 0.5 * self.penalty * l2;
        *last = Some((theta.to_vec(), cost, grad.clone()));
        (cost, grad)
    }
}

impl CostFunction for &Objective {
    type Param = Vec<f64>;
    type Output = f64;

    fn cost(&self, theta: &Self::Param) -> Result<f64, ArgminError> {
        Ok(self.evaluate(theta).0)
    }
}

impl Gradient for &Objective {
    type Param = Vec<f64>;
    type Gradient = Vec<f64>;

    fn gradient(&self, theta: &Self::Param) -> Result<Vec<f64>, ArgminError> {
        Ok(self.evaluate(theta).1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::Rng;

    /// Three Gaussian blobs in 5-D, `n` per class, seeded.
    fn blobs(n: usize, seed: u64) -> (Vec<f32>, Vec<u32>) {
        let mut rng = Rng::new(seed);
        let centres = [
            [2.0, 0.0, 0.0, 1.0, 0.0],
            [0.0, 2.0, 0.0, 0.0, 1.0],
            [0.0, 0.0, 2.0, 1.0, 1.0],
        ];
        let mut x = Vec::new();
        let mut y = Vec::new();
        for i in 0..3 * n {
            let c = i % 3;
            for &m in &centres[c] {
                x.push(m + rng.normal() as f32);
            }
            y.push(c as u32);
        }
        (x, y)
    }

    #[test]
    fn the_gradient_matches_central_differences() {
        let (x, y) = blobs(20, 1);
        let (mean, scale) = standardiser(&x, y.len(), 5);
        let problem = Objective {
            x: standardise(&x, 5, &mean, &scale),
            n: y.len(),
            dim: 5,
            classes: 3,
            labels: y,
            penalty: 1.0 / 60.0,
            last: Mutex::new(None),
        };
        let theta: Vec<f64> = (0..18).map(|i| ((i * 7 % 11) as f64 - 5.0) * 0.1).collect();
        let (_, grad) = problem.evaluate(&theta);
        for i in 0..theta.len() {
            let h = 1e-3;
            let mut up = theta.clone();
            up[i] += h;
            let mut down = theta.clone();
            down[i] -= h;
            let numeric = (problem.evaluate(&up).0 - problem.evaluate(&down).0) / (2.0 * h);
            assert!(
                (numeric - grad[i]).abs() < 1e-4,
                "component {i}: {numeric} by differences, {} analytic",
                grad[i]
            );
        }
    }

    #[test]
    fn separable_blobs_are_learned_and_the_fit_converges() {
        let (x, y) = blobs(100, 2);
        let probe = Probe::fit(&x, 5, &y, &ProbeOptions::default()).unwrap();
        assert!(probe.converged, "{} iterations", probe.iterations);
        let (tx, ty) = blobs(200, 3);
        let acc = probe.accuracy(&tx, &ty).unwrap();
        assert!(acc > 0.85, "{acc}");
    }

    #[test]
    fn a_fit_in_small_advances_reaches_the_same_classifier_as_one_run() {
        let (x, y) = blobs(100, 2);
        let opts = ProbeOptions::default();
        let whole = Probe::fit(&x, 5, &y, &opts).unwrap();
        let mut fit = ProbeFit::new(&x, 5, &y, &opts).unwrap();
        let mut calls = 0;
        while !fit.advance(3).unwrap() {
            calls += 1;
            assert!(calls < 1_000, "never done");
        }
        assert!(calls > 1, "the fit took one call: it was not split");
        let parts = fit.probe();
        assert!(parts.converged, "{} iterations", parts.iterations);
        let (tx, _) = blobs(200, 3);
        assert_eq!(parts.predict(&tx).unwrap(), whole.predict(&tx).unwrap());
        for (a, b) in parts.weights.iter().zip(&whole.weights) {
            assert!((a - b).abs() < 1e-2, "{a} against {b}");
        }
    }

    #[test]
    fn the_first_n_of_each_class_are_taken_in_order() {
        let labels = [1, 0, 1, 1, 2, 0, 0, 2];
        assert_eq!(first_per_class(&labels, 2), vec![0, 1, 2, 4, 5, 7]);
        assert_eq!(first_per_class(&labels, 10).len(), 8);
    }

    #[test]
    fn bad_input_is_refused_with_what_was_wrong() {
        let e = Probe::fit(&[1.0, 2.0], 1, &[0, 0], &ProbeOptions::default()).unwrap_err();
        assert!(e.to_string().contains("at least two classes"), "{e}");
        let e = Probe::fit(&[1.0, 2.0, 3.0], 1, &[0, 1], &ProbeOptions::default()).unwrap_err();
        assert!(e.to_string().contains("3 feature values for 2"), "{e}");
        let e = Probe::fit(&[1.0, f32::NAN], 1, &[0, 1], &ProbeOptions::default()).unwrap_err();
        assert!(e.to_string().contains("NaN"), "{e}");
    }
}
