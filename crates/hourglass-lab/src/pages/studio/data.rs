//! The Studio's data: a known dataset through the dataset store, or an upload read by the
//! same readers as `hourglass train --dataset FILE`; the training and validation split, the
//! grid's images, and the held-out set the kept figures are measured on.

use super::*;

/// The prefix of an uploaded data set's name in the `dataset` setting.
pub const UPLOAD_PREFIX: &str = "upload:";

/// An upload as the host's reader read it (CSV, NPY, a zip of images) made into the data the
/// Studio trains on — 28×28 images, grey (784 values a sample) or colour (3 channels, 2,352
/// values), scaled into [0, 1] as `hourglass train` scales a file (one linear map, kept with
/// the model) — or why it cannot be.
pub fn studio_data(file: &str, mut d: Dataset) -> Result<(Dataset, Scaling), String> {
    let colour = d.image_dims() == Some([3, 28, 28]);
    if d.features != PIXELS && !colour {
        return Err(format!(
            "{file} has {} values per sample; the Studio trains on 28×28 images, grey (784 values) or colour (28×28×3)",
            d.features
        ));
    }
    if d.len() < 20 {
        return Err(format!(
            "{file} has {} samples; the Studio needs at least 20",
            d.len()
        ));
    }
    let (lo, hi) = d.range();
    let scaling = if lo < 0.0 || hi > 1.0 {
        d.normalize_to_unit()
    } else {
        Scaling::IDENTITY
    };
    let d = if colour {
        d
    } else {
        d.with_image_shape(28, 28).map_err(|e| e.to_string())?
    };
    Ok((d, scaling))
}

impl StudioJob {
    /// Reads the training data if the settings need other data than those loaded.
    pub(super) fn ensure_data(&mut self) -> Result<(), WireError> {
        let key = self.data_key();
        if self.data.as_ref().is_some_and(|d| d.key == key) {
            return Ok(());
        }
        let s = &self.settings;
        let all = if let Some((_, d, _)) = self
            .uploaded
            .as_ref()
            .filter(|(n, _, _)| s.dataset.strip_prefix(UPLOAD_PREFIX) == Some(n.as_str()))
        {
            d.take(s.train_size as usize)
        } else {
            self.ctx
                .datasets
                .load(&s.dataset, Split::Train)?
                .take(s.train_size as usize)
        };
        let (train, val) = all.into_split(s.val_split, s.seed)?;
        let from = if val.len() >= GRID { &val } else { &train };
        let grid: Vec<f32> = (0..GRID.min(from.len()))
            .flat_map(|i| from.sample(i).to_vec())
            .collect();
        self.data_read = true;
        self.data = Some(Data {
            key,
            train,
            val,
            grid: Arc::new(grid),
        });
        Ok(())
    }

    /// Checks the data set a `dataset` setting names; an upload is read now (and kept), so a
    /// bad one is refused before anything changes.
    pub(super) fn pick_dataset(&mut self, name: &str) -> Result<(), WireError> {
        if self.datasets.is_known(name) {
            return Ok(());
        }
        let Some(file) = name.strip_prefix(UPLOAD_PREFIX) else {
            return Err(WireError::invalid(format!(
                "unknown dataset '{name}' (expected mnist, fashion-mnist or {UPLOAD_PREFIX}<an uploaded file>)"
            )));
        };
        if self.uploaded.as_ref().is_some_and(|(n, _, _)| n == file) {
            return Ok(());
        }
        let (d, scaling) = self
            .ctx
            .datasets
            .read_upload(file)
            .map_err(|e| e.to_string())
            .and_then(|d| studio_data(file, d))
            .map_err(|e| WireError::invalid(format!("cannot use {file}: {e}")))?;
        self.uploaded = Some((file.to_string(), d, scaling));
        Ok(())
    }

    /// The images settings `s` train on, `[channels, height, width]`: an upload's own (once
    /// read), else grey 28×28.
    pub(super) fn input_of(&self, s: &StudioSettings) -> [usize; 3] {
        match (&self.uploaded, s.dataset.strip_prefix(UPLOAD_PREFIX)) {
            (Some((n, d, _)), Some(f)) if n == f => d.image_dims().unwrap_or(GREY),
            _ => GREY,
        }
    }

    /// Which set the kept metrics are measured on: the test split of a known dataset, the
    /// validation set of an upload (which has no test split).
    pub(super) fn held_out(&self) -> &'static str {
        if self.settings.dataset.starts_with(UPLOAD_PREFIX) {
            "validation"
        } else {
            "test"
        }
    }

    /// The images the kept metrics are measured on (see [`Self::held_out`]).
    pub(super) fn test_set(&mut self) -> Result<&Dataset, WireError> {
        let name = self.settings.dataset.clone();
        if name.starts_with(UPLOAD_PREFIX) {
            self.ensure_data()?;
            let d = self.data.as_ref().expect("just read");
            return Ok(if d.val.is_empty() { &d.train } else { &d.val });
        }
        if self.test.as_ref().is_none_or(|(n, _)| *n != name) {
            let test = self.ctx.datasets.load(&name, Split::Test)?;
            self.test = Some((name, test));
        }
        Ok(&self.test.as_ref().expect("just read").1)
    }
}
