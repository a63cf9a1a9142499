//! The last dictionary trained, read feature by feature: each feature's decoder direction
//! (an image: the pixels it adds when it fires; for a dictionary of a model's codes, what
//! the model's decoder adds when the feature fires at its strongest), the test images it
//! fires most on, how strongly it fires (a histogram), how often, on which classes, and a
//! label from that mix.

use hourglass_core::{data::Dataset, tensor::Autoencoder, tensor::code_figures};
use serde::Serialize;

use super::{Data, base::Base, class_names, train::Spec};
use crate::{WireError, fields::PIXELS};

/// Code values analysed at most (test images × features): the images analysed are the first
/// of the test split, as many as fit (all 10,000 up to 800 features).
const ANALYSED_VALUES: usize = 8_000_000;
/// Top-activating images kept per feature.
pub const TOP: usize = 9;
/// Bins of a feature's activation histogram (0 to its largest activation).
pub const BINS: usize = 16;

/// One feature's statistics over the analysed images.
#[derive(Debug, Clone, Serialize)]
pub struct FeatureStats {
    pub index: usize,
    /// Share of the analysed images it is active on.
    pub rate: f64,
    /// The share of its firings on its most frequent class.
    pub purity: f64,
    pub top_class: Option<u32>,
    /// "mostly 7s (64%)", "4s and 9s (41% + 30%)", "mixed", "dead".
    pub label: String,
    /// Its firings per class, as shares.
    pub classes: Vec<f64>,
    /// Its largest activation.
    pub max: f32,
    /// Counts of its nonzero activations in [`BINS`] equal bins from 0 to `max`.
    pub histogram: Vec<u32>,
    /// The analysed images it fires most on, and how strongly, strongest first.
    pub top: Vec<(usize, f32)>,
}

/// A trained dictionary and what the browser shows of it.
pub(super) struct Dictionary {
    pub model: Autoencoder,
    /// The model whose layer the dictionary reads (none on pixels).
    pub base: Option<Base>,
    pub spec: Spec,
    pub dataset: String,
    /// The analysed test images (the first of the test split).
    pub images: Dataset,
    pub sample: bool,
    /// `[width × 784]`: row j is feature j's decoder direction as an image.
    pub directions: Vec<f32>,
    pub features: Vec<FeatureStats>,
    pub l0: f64,
    pub dead: f64,
    pub fvu: f64,
    /// The training loss at its last step.
    pub loss: f64,
}

impl Dictionary {
    /// Encodes the first test images and gathers every feature's statistics.
    pub fn analyse(
        model: Autoencoder,
        spec: Spec,
        dataset: &str,
        data: &Data,
        loss: f64,
    ) -> Result<Self, WireError> {
        let width = spec.width;
        let n = (ANALYSED_VALUES / width).clamp(1, data.test.len().max(1));
        let images = data.test.take(n);
        let inputs = data.test_x.take(n);
        let f = code_figures(&model, &inputs.values, spec.input)?;
        let labels = images.labels.clone().unwrap_or_default();
        let names = class_names(dataset);
        let features: Vec<FeatureStats> = (0..width)
            .map(|j| stats(j, &f.codes, width, &labels, &names))
            .collect();
        let base = data.base.clone();
        let directions = match &base {
            None => directions(&model, spec.input, width)?,
            Some(b) => through_decoder(&model, b, &features, spec.input, width)?,
        };
        Ok(Dictionary {
            directions,
            model,
            base,
            spec,
            dataset: dataset.to_string(),
            images,
            sample: data.sample,
            features,
            l0: f.code.l0,
            dead: f.code.dead_fraction(),
            fvu: f.fvu,
            loss,
        })
    }

    /// Feature `j`'s decoder direction.
    pub fn direction(&self, j: usize) -> &[f32] {
        &self.directions[j * PIXELS..(j + 1) * PIXELS]
    }

    /// The dictionary's code of one image (through the model's encoder first, when it reads
    /// a model's codes).
    pub fn encode(&self, pixels: &[f32]) -> Result<Vec<f32>, WireError> {
        Ok(match &self.base {
            None => self.model.encode_host(pixels, 1),
            Some(b) => self.model.encode_host(&b.read(pixels)?.0, 1),
        })
    }

    /// The image a dictionary code stands for (through the model's decoder after, when it
    /// reads a model's codes).
    pub fn decode(&self, code: &[f32]) -> Result<Vec<f32>, WireError> {
        let out = self.model.decode_host(code, 1);
        match &self.base {
            None => Ok(out),
            Some(b) => b.draw(&out),
        }
    }
}

/// Feature `j`'s statistics from the codes `[n × width]`.
fn stats(
    j: usize,
    codes: &[f32],
    width: usize,
    labels: &[u32],
    names: &[&str; 10],
) -> FeatureStats {
    let n = codes.len() / width.max(1);
    let mut count = 0usize;
    let mut per_class = [0usize; 10];
    let mut max = 0f32;
    let mut top: Vec<(usize, f32)> = Vec::with_capacity(TOP + 1);
    for i in 0..n {
        let v = codes[i * width + j];
        if v <= 0.0 {
            continue;
        }
        count += 1;
        max = max.max(v);
        if let Some(&l) = labels.get(i)
            && (l as usize) < 10
        {
            per_class[l as usize] += 1;
        }
        if top.len() < TOP || v > top[top.len() - 1].1 {
            let at = top.partition_point(|&(_, t)| t >= v);
            top.insert(at, (i, v));
            top.truncate(TOP);
        }
    }
    let mut histogram = vec![0u32; BINS];
    if max > 0.0 {
        for i in 0..n {
            let v = codes[i * width + j];
            if v > 0.0 {
                let b = ((v / max) * BINS as f32) as usize;
                histogram[b.min(BINS - 1)] += 1;
            }
        }
    }
    let labelled: usize = per_class.iter().sum();
    let classes: Vec<f64> = per_class
        .iter()
        .map(|&c| c as f64 / labelled.max(1) as f64)
        .collect();
    let mut order: Vec<usize> = (0..10).collect();
    order.sort_by(|&a, &b| classes[b].total_cmp(&classes[a]));
    let (first, second) = (order[0], order[1]);
    let plural = |c: usize| {
        if names[c].len() == 1 {
            format!("{}s", names[c])
        } else {
            names[c].to_string()
        }
    };
    let label = if count == 0 {
        "dead: never fires on these images".to_string()
    } else if labelled == 0 {
        format!("fires on {:.0}% of images", 100.0 * count as f64 / n as f64)
    } else if classes[first] >= 0.6 {
        format!("mostly {} ({:.0}%)", plural(first), 100.0 * classes[first])
    } else if classes[first] + classes[second] >= 0.6 {
        format!(
            "{} and {} ({:.0}% + {:.0}%)",
            plural(first),
            plural(second),
            100.0 * classes[first],
            100.0 * classes[second]
        )
    } else {
        format!(
            "mixed: {}, {}, {} lead",
            names[order[0]], names[order[1]], names[order[2]]
        )
    };
    FeatureStats {
        index: j,
        rate: count as f64 / n.max(1) as f64,
        purity: if labelled == 0 { 0.0 } else { classes[first] },
        top_class: (labelled > 0).then_some(first as u32),
        label,
        classes,
        max,
        histogram,
        top,
    }
}

/// Every feature's decoder direction, a row of `input` values each. The checkpoint's decoder
/// weight is `[input, width]` (PyTorch's `[out, in]`): column j is feature j's direction.
fn directions(model: &Autoencoder, input: usize, width: usize) -> Result<Vec<f32>, WireError> {
    let tensors = model.to_tensors();
    let w = tensors
        .iter()
        .find(|t| t.name == "decoder.0.weight")
        .filter(|t| t.shape == [input, width])
        .ok_or_else(|| WireError::invalid("the dictionary has no one-layer decoder"))?;
    let mut out = vec![0f32; width * input];
    for p in 0..input {
        for j in 0..width {
            out[j * input + p] = w.values[p * width + j];
        }
    }
    Ok(out)
}

/// Each feature of a dictionary of a model's layer as an image: what the rest of the model
/// draws when the feature fires at its largest activation, less what it draws for the
/// dictionary's empty code (its decoder bias). A dead feature shows at activation 1.
fn through_decoder(
    model: &Autoencoder,
    base: &Base,
    features: &[FeatureStats],
    input: usize,
    width: usize,
) -> Result<Vec<f32>, WireError> {
    let dirs = directions(model, input, width)?;
    let empty = model.decode_host(&vec![0f32; width], 1);
    let codes: Vec<f32> = features
        .iter()
        .flat_map(|f| {
            let a = if f.max > 0.0 { f.max } else { 1.0 };
            let d = &dirs[f.index * input..(f.index + 1) * input];
            empty.iter().zip(d).map(move |(e, v)| e + a * v)
        })
        .collect();
    let images = base.draw(&codes)?;
    let plain = base.draw(&empty)?;
    Ok(images
        .chunks(PIXELS)
        .flat_map(|img| img.iter().zip(&plain).map(|(a, b)| a - b))
        .collect())
}
