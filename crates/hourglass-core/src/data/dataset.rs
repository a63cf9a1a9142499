//! An in-memory dataset: `len` samples of `features` values each, pixels in [0, 1].

use serde::{Deserialize, Serialize};

use crate::{Error, rng::Rng};

/// Which part of a known dataset (MNIST, Fashion-MNIST).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Split {
    Train,
    Test,
}

/// Samples stored row-major as f32, with optional labels (for colouring, never training).
#[derive(Debug, Clone, PartialEq)]
pub struct Dataset {
    /// A name for messages and checkpoints ("mnist", a file name, …).
    pub name: String,
    pub features: usize,
    /// `[height, width]` when the samples are images.
    pub image_shape: Option<[usize; 2]>,
    /// Colour planes of each image: 1 (grey) or 3 (red, green, blue), stored channel-first
    /// (C×H×W, as conv models take them); 1 for data that are not images.
    pub channels: usize,
    pub values: Vec<f32>,
    pub labels: Option<Vec<u32>>,
    /// The classes' names, by class number, when the data named them (text labels, image
    /// sub-folders).
    pub classes: Option<Vec<String>>,
}

/// The linear map applied after reading (readers already map pixels to [0, 1]):
/// value = (value_read − offset) / scale.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scaling {
    pub offset: f32,
    pub scale: f32,
}

impl Scaling {
    pub const IDENTITY: Scaling = Scaling {
        offset: 0.0,
        scale: 1.0,
    };

    /// The scaling that maps values spanning [lo, hi] onto [0, 1] (a single value: shifted to
    /// 0).
    pub fn spanning(lo: f32, hi: f32) -> Scaling {
        Scaling {
            offset: lo,
            scale: if hi > lo { hi - lo } else { 1.0 },
        }
    }

    /// Values in the data's own units brought into the training scale (what `restore` undoes).
    pub fn apply(&self, values: &mut [f32]) {
        if *self != Scaling::IDENTITY {
            values
                .iter_mut()
                .for_each(|v| *v = (*v - self.offset) / self.scale);
        }
    }

    /// Values in the training scale brought back to the data's own units.
    pub fn restore(&self, values: &mut [f32]) {
        if *self != Scaling::IDENTITY {
            values
                .iter_mut()
                .for_each(|v| *v = *v * self.scale + self.offset);
        }
    }
}

/// The samples of a set of `n` that [`Dataset::split`] keeps for training and for validation
/// (in that order): a seeded random `fraction` for validation. A set read from disk as
/// training goes splits by it too, so it trains on the same samples in the same order.
pub fn split_indices(
    n: usize,
    fraction: f64,
    seed: u64,
) -> Result<(Vec<usize>, Vec<usize>), Error> {
    if !fraction.is_finite() || !(0.0..1.0).contains(&fraction) {
        return Err(Error::invalid(format!(
            "validation split {fraction} is outside [0, 1)"
        )));
    }
    let order = Rng::new(seed).permutation(n);
    let n_val = (n as f64 * fraction).round() as usize;
    let (val, train) = order.split_at(n_val);
    if train.is_empty() {
        return Err(Error::invalid(
            "the validation split leaves no training samples",
        ));
    }
    Ok((train.to_vec(), val.to_vec()))
}

/// An image shape as people read it: `28×28` for grey, `64×64×3` for colour.
pub fn shape_words(channels: usize, height: usize, width: usize) -> String {
    if channels == 1 {
        format!("{height}×{width}")
    } else {
        format!("{height}×{width}×{channels}")
    }
}

/// Reorders the rows of `values` (`width` values each) in place so that row `k` holds what
/// row `order[k]` held (`order` a permutation of the rows), following each cycle of the
/// permutation with one row held aside.
fn permute_rows(values: &mut [f32], width: usize, order: &[usize]) {
    let mut done = vec![false; order.len()];
    let mut held = vec![0f32; width];
    for start in 0..order.len() {
        if done[start] || order[start] == start {
            done[start] = true;
            continue;
        }
        held.copy_from_slice(&values[start * width..(start + 1) * width]);
        let mut k = start;
        loop {
            done[k] = true;
            let from = order[k];
            if from == start {
                values[k * width..(k + 1) * width].copy_from_slice(&held);
                break;
            }
            values.copy_within(from * width..(from + 1) * width, k * width);
            k = from;
        }
    }
}

impl Dataset {
    /// Builds a dataset, checking that the values fill whole samples and labels match.
    pub fn new(
        name: impl Into<String>,
        features: usize,
        values: Vec<f32>,
        labels: Option<Vec<u32>>,
    ) -> Result<Self, Error> {
        let name = name.into();
        if features == 0 {
            return Err(Error::format(&name, "samples have no values"));
        }
        if !values.len().is_multiple_of(features) {
            return Err(Error::format(
                &name,
                format!(
                    "{} values do not fill whole samples of {features}",
                    values.len()
                ),
            ));
        }
        let len = values.len() / features;
        if let Some(l) = &labels
            && l.len() != len
        {
            return Err(Error::format(
                &name,
                format!("{} labels for {len} samples", l.len()),
            ));
        }
        if let Some(i) = values.iter().position(|v| !v.is_finite()) {
            return Err(Error::format(
                &name,
                format!("sample {} holds a non-finite value", i / features),
            ));
        }
        Ok(Dataset {
            name,
            features,
            image_shape: None,
            channels: 1,
            values,
            labels,
            classes: None,
        })
    }

    /// Names the classes (by class number).
    pub fn with_classes(mut self, names: Vec<String>) -> Self {
        self.classes = Some(names);
        self
    }

    /// The class `text` names: one of the classes' names when the data have them (a number
    /// is then refused unless it is a name, as an image folder `7` is), else a class number.
    pub fn class_named(&self, text: &str) -> Result<u32, Error> {
        let t = text.trim();
        match &self.classes {
            Some(names) => names
                .iter()
                .position(|n| n == t)
                .or_else(|| names.iter().position(|n| n.eq_ignore_ascii_case(t)))
                .map(|i| i as u32)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "'{t}' is not one of the classes of {} ({})",
                        self.name,
                        names.join(", ")
                    ))
                }),
            None => t.parse::<u32>().map_err(|_| {
                Error::invalid(format!(
                    "'{t}' is not a class of {}: its classes are numbers",
                    self.name
                ))
            }),
        }
    }

    /// Class `c` as people read it: its name, or its number.
    pub fn class_name(&self, c: u32) -> String {
        self.classes
            .as_ref()
            .and_then(|n| n.get(c as usize).cloned())
            .unwrap_or_else(|| c.to_string())
    }

    /// Marks the samples as `height × width` greyscale images.
    pub fn with_image_shape(self, height: usize, width: usize) -> Result<Self, Error> {
        self.with_images(1, height, width)
    }

    /// Marks the samples as `channels × height × width` images (channel-first), grey (1) or
    /// colour (3).
    pub fn with_images(
        mut self,
        channels: usize,
        height: usize,
        width: usize,
    ) -> Result<Self, Error> {
        if !matches!(channels, 1 | 3) {
            return Err(Error::invalid(format!(
                "images of {channels} channels: Hourglass reads grey (1) or colour (3)"
            )));
        }
        if channels * height * width != self.features {
            return Err(Error::invalid(format!(
                "{} images need {} values per sample, not {}",
                shape_words(channels, height, width),
                channels * height * width,
                self.features
            )));
        }
        self.image_shape = Some([height, width]);
        self.channels = channels;
        Ok(self)
    }

    /// `[channels, height, width]` when the samples are images.
    pub fn image_dims(&self) -> Option<[usize; 3]> {
        self.image_shape.map(|[h, w]| [self.channels, h, w])
    }

    pub fn len(&self) -> usize {
        self.values.len() / self.features
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The values of sample `i`.
    pub fn sample(&self, i: usize) -> &[f32] {
        &self.values[i * self.features..(i + 1) * self.features]
    }

    pub fn label(&self, i: usize) -> Option<u32> {
        self.labels.as_ref().map(|l| l[i])
    }

    /// The samples at `indices`, in that order.
    pub fn subset(&self, indices: &[usize]) -> Dataset {
        let mut values = Vec::with_capacity(indices.len() * self.features);
        for &i in indices {
            values.extend_from_slice(self.sample(i));
        }
        Dataset {
            name: self.name.clone(),
            features: self.features,
            image_shape: self.image_shape,
            channels: self.channels,
            values,
            labels: self
                .labels
                .as_ref()
                .map(|l| indices.iter().map(|&i| l[i]).collect()),
            classes: self.classes.clone(),
        }
    }

    /// The first `n` samples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Dataset {
        let idx: Vec<usize> = (0..n.min(self.len())).collect();
        self.subset(&idx)
    }

    /// Splits off a seeded random `fraction` of the samples for validation.
    /// Returns `(train, validation)`.
    pub fn split(&self, fraction: f64, seed: u64) -> Result<(Dataset, Dataset), Error> {
        let (train, val) = split_indices(self.len(), fraction, seed)?;
        Ok((self.subset(&train), self.subset(&val)))
    }

    /// [`Dataset::split`] of a set given up: the same two sets, but the training samples are
    /// moved into place within this set's own values (the validation ones copied out) rather
    /// than copied, so a large set splits without a second copy of itself in memory.
    pub fn into_split(mut self, fraction: f64, seed: u64) -> Result<(Dataset, Dataset), Error> {
        let (train, val) = split_indices(self.len(), fraction, seed)?;
        let validation = self.subset(&val);
        // row k takes row order[k]: the training rows first, in their order
        let order: Vec<usize> = train.iter().chain(&val).copied().collect();
        permute_rows(&mut self.values, self.features, &order);
        if let Some(l) = &mut self.labels {
            let old = std::mem::take(l);
            *l = train.iter().map(|&i| old[i]).collect();
        }
        self.values.truncate(train.len() * self.features);
        Ok((self, validation))
    }

    /// Smallest and largest value.
    pub fn range(&self) -> (f32, f32) {
        self.values
            .iter()
            .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                (lo.min(v), hi.max(v))
            })
    }

    /// Rescales every value linearly so the dataset spans [0, 1]; returns the scaling used.
    pub fn normalize_to_unit(&mut self) -> Scaling {
        let (lo, hi) = self.range();
        let s = Scaling::spanning(lo, hi);
        s.apply(&mut self.values);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Dataset {
        Dataset::new(
            "toy",
            2,
            (0..20).map(|v| v as f32).collect(),
            Some((0..10).collect()),
        )
        .unwrap()
    }

    #[test]
    fn into_split_gives_what_split_gives() {
        let big = Dataset::new(
            "big",
            3,
            (0..3000).map(|v| v as f32).collect(),
            Some((0..1000).map(|v| v % 7).collect()),
        )
        .unwrap();
        for d in [toy(), big] {
            for (fraction, seed) in [(0.3, 5), (0.0, 1), (0.5, 9), (0.9, 2)] {
                let (t, v) = d.split(fraction, seed).unwrap();
                let (t2, v2) = d.clone().into_split(fraction, seed).unwrap();
                assert_eq!((&t2.values, &t2.labels), (&t.values, &t.labels));
                assert_eq!((&v2.values, &v2.labels), (&v.values, &v.labels));
                assert_eq!(t2.len(), t.len());
            }
        }
        assert!(toy().into_split(1.0, 1).is_err());
    }

    #[test]
    fn split_is_seeded_and_disjoint() {
        let d = toy();
        let (t1, v1) = d.split(0.3, 5).unwrap();
        let (t2, v2) = d.split(0.3, 5).unwrap();
        assert_eq!((t1.len(), v1.len()), (7, 3));
        assert_eq!(v1, v2);
        assert_eq!(t1, t2);
        let mut labels: Vec<u32> = t1
            .labels
            .unwrap()
            .into_iter()
            .chain(v1.labels.unwrap())
            .collect();
        labels.sort();
        assert_eq!(labels, (0..10).collect::<Vec<_>>());
        assert!(d.split(1.0, 1).is_err());
        assert!(d.split(f64::NAN, 1).is_err());
    }

    #[test]
    fn rejects_ragged_values_and_label_mismatch() {
        assert!(Dataset::new("x", 3, vec![0.0; 10], None).is_err());
        assert!(Dataset::new("x", 2, vec![0.0; 10], Some(vec![1, 2])).is_err());
        assert!(Dataset::new("x", 2, vec![f32::NAN, 0.0], None).is_err());
    }

    #[test]
    fn normalizes_to_unit_range() {
        let mut d = toy();
        let s = d.normalize_to_unit();
        assert_eq!(d.range(), (0.0, 1.0));
        assert_eq!((s.offset, s.scale), (0.0, 19.0));
    }
}
