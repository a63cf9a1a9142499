//! The linear probe on the page: scikit-learn's logistic regression (`hourglass_core::probe`)
//! on each representation at 10, 100 and 1000 labels per class, scored on the first test
//! images. One fit at a time, a few L-BFGS iterations a step; the lines fill in by labels
//! per class, so every representation has its first point soon.

use std::sync::Arc;

use hourglass_core::{
    checkpoint::Checkpoint,
    data::{Dataset, Scaling},
    metrics::Pca,
    probe::{ProbeFit, ProbeOptions, first_per_class},
    project::{fit_pca, project_rows},
    tensor::{Autoencoder, inference_device},
};
use serde::Serialize;

use super::{FeaturesJob, FeaturesSettings, base::Base, browser::Dictionary, shipped_30d};
use crate::{Progress, WireError, fields::PIXELS};

/// Labels per class the probe is fitted with; `all` (the whole training split, minutes on
/// the pixels) follows when the settings ask for it.
pub const LABELS_PER_CLASS: [usize; 3] = [10, 100, 1000];

/// The labels per class to fit, in order (`usize::MAX`: all of them).
fn counts(s: &FeaturesSettings) -> Vec<usize> {
    let mut c = LABELS_PER_CLASS.to_vec();
    if s.probe_up_to == "all" {
        c.push(usize::MAX);
    }
    c
}
/// Test images a probe is scored on.
pub const TEST_IMAGES: usize = 5_000;
/// PCA's components (the shipped models' code size).
const PCA_COMPONENTS: usize = 30;
/// Kept models probed at most (the first, by name, of the dataset's).
const MAX_KEPT: usize = 3;
/// Multiply-adds of solver work per step (a few tens of milliseconds).
const WORK_PER_STEP: usize = 200_000_000;

/// What the probe's runs depend on beyond the data: another dictionary probes again.
pub(super) fn key(s: &FeaturesSettings, dictionary: Option<&Dictionary>) -> String {
    format!(
        "{}/{}/{}",
        s.dataset,
        s.probe_up_to,
        dictionary.map_or("none".into(), |d| d.spec.describe())
    )
}

/// How a representation is read off the images.
enum Reader {
    Pixels,
    Pca(Pca),
    /// A model's codes.
    Model(Autoencoder),
    /// A dictionary's features, of the pixels or of a model's codes (`base`).
    Dictionary {
        base: Option<Box<Base>>,
        dictionary: Autoencoder,
    },
}

/// A representation with its features of the labelled pool and of the test images.
struct Representation {
    name: String,
    label: String,
    reader: Reader,
    /// Computed when first probed: `[pool rows × dim]`, `[test rows × dim]`.
    features: Option<(Vec<f32>, Vec<f32>, usize)>,
}

impl Representation {
    fn features_of(&self, images: &[f32]) -> Result<(Vec<f32>, usize), WireError> {
        Ok(match &self.reader {
            Reader::Pixels => (images.to_vec(), PIXELS),
            Reader::Pca(p) => (project_rows(p, images, PIXELS), p.components.len()),
            Reader::Model(m) => (m.encode_host(images, 512), m.arch.latent_size()),
            Reader::Dictionary { base, dictionary } => {
                let features = match base {
                    None => dictionary.encode_host(images, 512),
                    Some(b) => dictionary.encode_host(&b.read(images)?.0, 512),
                };
                (features, dictionary.arch.latent_size())
            }
        })
    }
}

/// A line of the probe's chart: a representation's test accuracy at each labels per class.
#[derive(Debug, Clone, Serialize)]
pub struct ProbeLine {
    pub name: String,
    pub label: String,
    pub dim: usize,
    /// `(labels per class, accuracy)`; `all` as the mean per class of the whole pool.
    pub points: Vec<(usize, f64)>,
}

/// Labels per class a fit used: its labelled images over the classes among them (10, 100,
/// 1000, ~6000 for all of MNIST's; fewer where the pool runs short, as the shipped sample's
/// ~100 a class).
fn per_class(chosen: &[usize], labels: &[u32]) -> usize {
    let mut seen = std::collections::BTreeSet::new();
    chosen.iter().for_each(|&i| {
        seen.insert(labels[i]);
    });
    (chosen.len() as f64 / seen.len().max(1) as f64).round() as usize
}

/// The probes in progress.
pub(super) struct ProbeRun {
    key: String,
    reps: Vec<Representation>,
    /// The labels per class to fit, in order (`usize::MAX`: all).
    counts: Vec<usize>,
    /// The labelled pool: the first 1000 of each class (all of it when `all` is asked for).
    pool: Arc<Dataset>,
    test: Dataset,
    /// Next (labels-per-class index, representation index) to fit.
    at: (usize, usize),
    fit: Option<ProbeFit>,
}

/// The probe under way, as the snapshot shows it.
#[derive(Serialize)]
pub struct ProbeView {
    representation: String,
    labels_per_class: usize,
    iterations: u64,
    done: usize,
    total: usize,
}

impl ProbeRun {
    fn finished(&self) -> bool {
        self.at.0 >= self.counts.len()
    }

    pub fn view(&self) -> Option<ProbeView> {
        let rep = self.reps.get(self.at.1)?;
        (!self.finished()).then(|| ProbeView {
            representation: rep.label.clone(),
            labels_per_class: self.per_class(self.at.0),
            iterations: self.fit.as_ref().map_or(0, ProbeFit::iterations),
            done: self.at.0 * self.reps.len() + self.at.1,
            total: self.counts.len() * self.reps.len(),
        })
    }

    /// The labels per class of count `i`, `all` as the pool's mean per class.
    fn per_class(&self, i: usize) -> usize {
        match self.counts[i] {
            usize::MAX => self.pool.len() / 10,
            n => n,
        }
    }
}

impl FeaturesJob {
    /// The representations to probe: pixels, PCA, the shipped 30-D model, the kept models
    /// of this dataset (784 inputs, unscaled) and the last dictionary.
    fn representations(&mut self) -> Result<Vec<Representation>, WireError> {
        let dataset = self.settings.dataset.clone();
        let pool = self.data()?.pool.clone();
        let fit_rows = pool.take(10_000);
        let pca = fit_pca(&fit_rows.values, PIXELS, PCA_COMPONENTS, 1)?;
        let mut reps = vec![
            Representation {
                name: "pixels".into(),
                label: "pixels (784)".into(),
                reader: Reader::Pixels,
                features: None,
            },
            Representation {
                name: "pca".into(),
                label: format!("PCA-{PCA_COMPONENTS}"),
                reader: Reader::Pca(pca),
                features: None,
            },
        ];
        let (name, model) = shipped_30d(&dataset)?;
        reps.push(Representation {
            label: format!("shipped {name} codes (30)"),
            name,
            reader: Reader::Model(model),
            features: None,
        });
        let mut kept = 0;
        for name in self.ctx.models.list() {
            if kept >= MAX_KEPT {
                break;
            }
            let Ok(ck) = self.ctx.models.read(&name) else {
                continue;
            };
            let d = &ck.config.dataset;
            if d.name != dataset || d.features != PIXELS || d.scaling != Scaling::IDENTITY {
                continue;
            }
            let latent = ck.config.architecture.latent_size();
            reps.push(Representation {
                label: format!(
                    "kept {} ({}, {latent})",
                    name.trim_end_matches(".safetensors"),
                    ck.config.training.variant.name()
                ),
                name,
                reader: Reader::Model(model_of(&ck)?),
                features: None,
            });
            kept += 1;
        }
        if let Some(d) = self.dictionary.as_ref().filter(|d| d.dataset == dataset) {
            reps.push(Representation {
                name: "dictionary".into(),
                label: format!("dictionary: {}", d.spec.describe()),
                reader: Reader::Dictionary {
                    base: d.base.clone().map(Box::new),
                    dictionary: d.model.clone(),
                },
                features: None,
            });
        }
        Ok(reps)
    }

    /// A few solver iterations of the probe under way; a finished fit adds its point.
    pub(super) fn probe_step(&mut self) -> Result<Option<Progress>, WireError> {
        let key = key(&self.settings, self.dictionary.as_ref());
        if self
            .probe
            .as_ref()
            .is_none_or(|p| p.key != key || p.finished())
        {
            let reps = self.representations()?;
            let counts = counts(&self.settings);
            let data = self.data()?;
            let pool_labels = data.pool.labels.clone().unwrap_or_default();
            let most = counts[counts.len() - 1];
            let pool = if most == usize::MAX {
                data.pool.clone()
            } else {
                Arc::new(data.pool.subset(&first_per_class(&pool_labels, most)))
            };
            let test = data.test.take(TEST_IMAGES);
            self.probe_lines = reps
                .iter()
                .map(|r| ProbeLine {
                    name: r.name.clone(),
                    label: r.label.clone(),
                    dim: 0,
                    points: Vec::new(),
                })
                .collect();
            self.version += 1;
            self.probe = Some(ProbeRun {
                key,
                reps,
                counts,
                pool,
                test,
                at: (0, 0),
                fit: None,
            });
        }
        let Some(run) = self.probe.as_mut() else {
            return Ok(None);
        };
        let (ni, ri) = run.at;
        let n = run.counts[ni];
        let labels = run.pool.labels.clone().unwrap_or_default();
        let chosen = first_per_class(&labels, n);
        let rep = &mut run.reps[ri];
        if rep.features.is_none() {
            let (pool, dim) = rep.features_of(&run.pool.values)?;
            let (test, _) = rep.features_of(&run.test.values)?;
            rep.features = Some((pool, test, dim));
        }
        let Some((pool_x, test_x, dim)) = rep.features.as_ref() else {
            return Ok(None);
        };
        let dim = *dim;
        if run.fit.is_none() {
            let x: Vec<f32> = chosen
                .iter()
                .flat_map(|&i| pool_x[i * dim..(i + 1) * dim].iter().copied())
                .collect();
            let y: Vec<u32> = chosen.iter().map(|&i| labels[i]).collect();
            run.fit = Some(ProbeFit::new(&x, dim, &y, &ProbeOptions::default())?);
        }
        let Some(fit) = run.fit.as_mut() else {
            return Ok(None);
        };
        let iterations = (WORK_PER_STEP / fit.work_per_iteration().max(1)).clamp(1, 50) as u64;
        let done = fit.advance(iterations)?;
        if !done {
            return Ok(None);
        }
        let probe = fit.probe();
        let test_labels = run.test.labels.clone().unwrap_or_default();
        let accuracy = probe.accuracy(test_x, &test_labels)?;
        run.fit = None;
        if let Some(line) = self.probe_lines.get_mut(ri) {
            line.dim = dim;
            line.points.push((per_class(&chosen, &labels), accuracy));
        }
        // next: the following representation, then the next labels per class; features
        // of the last fitted kept for the next count
        run.at = if ri + 1 < run.reps.len() {
            (ni, ri + 1)
        } else {
            (ni + 1, 0)
        };
        if run.finished() {
            run.reps.iter_mut().for_each(|r| r.features = None);
            self.done_message = Some(format!(
                "The probe is done: {} representations at {} labels per class.",
                run.reps.len(),
                run.counts
                    .iter()
                    .map(|&n| if n == usize::MAX {
                        "all".to_string()
                    } else {
                        n.to_string()
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.version += 1;
        // the probe has no loss to chart: its points are its accuracies
        Ok(None)
    }
}

fn model_of(ck: &Checkpoint) -> Result<Autoencoder, WireError> {
    Ok(Autoencoder::from_tensors(
        &ck.config.architecture,
        &ck.tensors,
        &inference_device(),
    )?)
}
