//! Training dictionaries: one (the `dictionary` task) or several k in a row (the `frontier`
//! task), one mini-batch a step, with live figures on the first test images; each finished
//! one becomes a point of the frontier and the dictionary the browser reads.

use hourglass_core::{
    architecture::Architecture,
    glass::Activation,
    settings::Choice,
    tensor::{
        LossKind, Optimizer, TrainOptions, Trainer, code_figures, initial_tensors, objective_for,
        pca_fvu_curve, training_device,
    },
    variant::{Sparsity, Variant},
};
use serde::Serialize;

use super::{FeaturesJob, FeaturesSettings, Penalty, Source, Task, browser::Dictionary};
use crate::{Progress, WireError};

/// Test images the live figures and the frontier are measured on.
pub const MEASURED: usize = 1_000;
/// Adam's learning rate and the mini-batch of every dictionary here.
pub const LEARNING_RATE: f64 = 2e-3;
pub const BATCH: usize = 128;
/// Steps between two live measurements (and at every epoch's end).
const MEASURE_EVERY: usize = 10;
/// The frontier's k, those not above the width.
pub const FRONTIER_KS: [usize; 5] = [4, 8, 16, 32, 64];
/// PCA's components on the frontier's baseline.
const PCA_KS: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];

/// One dictionary to train: its width and sparsity.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Spec {
    /// Values the dictionary reads per image: 784 pixels, or a model's code size.
    pub input: usize,
    /// What it reads (the pixels, or a model's layer).
    pub source: Source,
    pub width: usize,
    pub sparsity: Sparsity,
}

impl Spec {
    /// The one-layer model: input → `width` code units → input (linear output, as the
    /// CLI's `--layers 784,WIDTH --output-activation linear`).
    pub fn architecture(&self) -> Architecture {
        Architecture::Dense {
            layers: vec![self.input, self.width],
            activation: Activation::Relu,
            output: Activation::Linear,
            activations: vec![],
            code: self.variant().default_code(),
        }
    }

    pub fn variant(&self) -> Variant {
        Variant::Sparse {
            penalty: self.sparsity,
        }
    }

    /// "256 features, TopK 16", "256 features, L1 0.001", "… on a 30-D model's codes".
    pub fn describe(&self) -> String {
        let what = match self.sparsity {
            Sparsity::TopK { k } => format!("{} features, TopK {k}", self.width),
            Sparsity::L1 { weight } => format!("{} features, L1 {weight}", self.width),
            Sparsity::Kl { .. } => format!("{} features", self.width),
        };
        match self.source {
            Source::Pixels => what,
            other => format!("{what} on {}", other.label()),
        }
    }
}

/// What the dictionaries depend on: a different key trains them again.
pub(super) fn run_key(s: &FeaturesSettings) -> String {
    format!(
        "{}/{}/{}/{}/{}/{}/{}/{}/{}/{}",
        s.task.name(),
        s.dataset,
        s.source.name(),
        s.width,
        s.penalty.name(),
        s.k,
        s.l1,
        s.epochs,
        s.train_size,
        s.seed
    )
}

/// The dictionaries a task trains, in order, on inputs of `input` values.
fn specs(s: &FeaturesSettings, input: usize) -> Vec<Spec> {
    let width = s.width as usize;
    let source = s.source;
    match s.task {
        Task::Frontier => FRONTIER_KS
            .iter()
            .filter(|&&k| k <= width)
            .map(|&k| Spec {
                input,
                source,
                width,
                sparsity: Sparsity::TopK { k },
            })
            .collect(),
        _ => vec![Spec {
            input,
            source,
            width,
            sparsity: match s.penalty {
                Penalty::TopK => Sparsity::TopK { k: s.k as usize },
                Penalty::L1 => Sparsity::L1 { weight: s.l1 },
            },
        }],
    }
}

/// Live figures of the dictionary in training, on the first [`MEASURED`] test images.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Live {
    pub l0: f64,
    /// Units never active on those images.
    pub dead: f64,
    pub fvu: f64,
    pub loss: f64,
    pub epoch: f64,
}

/// A finished dictionary on the frontier: FVU against L0 on the first [`MEASURED`] test
/// images.
#[derive(Debug, Clone, Serialize)]
pub struct FrontierPoint {
    pub name: String,
    pub width: usize,
    pub l0: f64,
    pub fvu: f64,
    pub dead: f64,
}

/// Dictionaries in training, one after another.
pub(super) struct Run {
    key: String,
    specs: Vec<Spec>,
    at: usize,
    trainer: Option<Trainer>,
    steps: usize,
    pub live: Option<Live>,
}

/// The run as the snapshot shows it.
#[derive(Serialize)]
pub struct RunView {
    name: String,
    index: usize,
    runs: usize,
    epoch: f64,
    epochs: u64,
    live: Option<Live>,
}

impl Run {
    fn finished(&self) -> bool {
        self.at >= self.specs.len()
    }

    pub fn view(&self, epochs: u64) -> Option<RunView> {
        let spec = self.specs.get(self.at)?;
        Some(RunView {
            name: spec.describe(),
            index: self.at,
            runs: self.specs.len(),
            epoch: self.live.map_or(0.0, |l| l.epoch),
            epochs,
            live: self.live,
        })
    }
}

impl FeaturesJob {
    /// One mini-batch of the dictionary in training; at each one's end, its point on the
    /// frontier and its analysis.
    pub(super) fn train_step(&mut self) -> Result<Option<Progress>, WireError> {
        let key = run_key(&self.settings);
        let input = self.data()?.train_x.features;
        if self
            .run
            .as_ref()
            .is_none_or(|r| r.key != key || r.finished())
        {
            self.run = Some(Run {
                key,
                specs: specs(&self.settings, input),
                at: 0,
                trainer: None,
                steps: 0,
                live: None,
            });
        }
        let epochs = self.settings.epochs as usize;
        let seed = self.settings.seed;
        self.data()?;
        let (Some(run), Some(data)) = (self.run.as_mut(), self.data.as_ref()) else {
            return Ok(None);
        };
        let spec = run.specs[run.at];
        if run.trainer.is_none() {
            let opts = TrainOptions {
                loss: LossKind::Mse,
                // one epoch of 10,000 MNIST images, 256 features, TopK 16 (hourglass eval):
                // 4e-3 and batch 64: FVU 0.324, 68% dead; 2e-3 and 128: 0.375, 40% dead;
                // 1e-3 and 128: 0.455, 30% dead (PCA-16: 0.396). A faster rate kills more
                // features; this one beats PCA in one epoch and keeps most alive.
                optimizer: Optimizer::adam(LEARNING_RATE),
                batch_size: BATCH,
                epochs,
                seed: seed.wrapping_add(run.at as u64),
                variant: spec.variant(),
            };
            let arch = spec.architecture();
            let model = hourglass_core::tensor::Autoencoder::from_tensors(
                &arch,
                &initial_tensors(&arch, opts.seed)?,
                &training_device(),
            )?;
            let objective = objective_for(opts.variant, opts.loss, opts.seed, &model)?;
            run.trainer = Some(Trainer::new(model, data.train_x.len(), &opts, objective)?);
            run.steps = 0;
        }
        let Some(trainer) = run.trainer.as_mut() else {
            return Ok(None);
        };
        let s = trainer.step(data.train_x.as_ref())?;
        if s.epoch_done {
            trainer.end_epoch(None);
        }
        run.steps += 1;
        let per = trainer.steps_per_epoch() as f64;
        let epoch = if s.epoch_done {
            trainer.epochs_done() as f64
        } else {
            trainer.epochs_done() as f64 + (s.step as f64 / per).min(1.0)
        };
        let done = trainer.epochs_done() >= epochs;
        if done || s.epoch_done || run.steps % MEASURE_EVERY == 1 {
            let measured = data.test_x.take(MEASURED);
            let f = code_figures(trainer.model(), &measured.values, input)?;
            run.live = Some(Live {
                l0: f.code.l0,
                dead: f.code.dead_fraction(),
                fvu: f.fvu,
                loss: s.loss,
                epoch,
            });
        } else if let Some(l) = run.live.as_mut() {
            l.loss = s.loss;
            l.epoch = epoch;
        }
        let x = (run.at * epochs) as f64 + epoch;
        if done && let Some(t) = run.trainer.take() {
            let model = t.into_model();
            let live = run.live.unwrap_or(Live {
                l0: 0.0,
                dead: 0.0,
                fvu: 1.0,
                loss: s.loss,
                epoch,
            });
            run.at += 1;
            let finished = run.finished();
            self.frontier.push(FrontierPoint {
                name: spec.describe(),
                width: spec.width,
                l0: live.l0,
                fvu: live.fvu,
                dead: live.dead,
            });
            if self.pca_curve.is_none() {
                let measured = data.test_x.take(MEASURED);
                let ks: Vec<usize> = PCA_KS.iter().copied().filter(|&k| k <= input).collect();
                let fvus = pca_fvu_curve(&measured.values, input, &ks)?;
                self.pca_curve = Some(ks.into_iter().zip(fvus).collect());
            }
            let dataset = self.settings.dataset.clone();
            self.dictionary = Some(Dictionary::analyse(model, spec, &dataset, data, s.loss)?);
            self.version += 1;
            if finished {
                self.done_message = Some(match self.settings.task {
                    Task::Frontier => format!(
                        "The frontier is trained: {} dictionaries, each a point of FVU against L0 beside PCA.",
                        self.frontier.len().min(FRONTIER_KS.len())
                    ),
                    _ => format!(
                        "Trained {}: L0 {:.1}, {:.0}% dead, FVU {:.3}. Its features are below.",
                        spec.describe(),
                        live.l0,
                        100.0 * live.dead,
                        live.fvu
                    ),
                });
            }
        }
        Ok(Some(Progress { x, loss: s.loss }))
    }
}
