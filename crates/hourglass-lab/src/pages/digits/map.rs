//! The map: which images it shows, their codes for the model as it is now, where each sits
//! on the plane (a wide code by its first two principal components), the sliders' ranges and
//! the classes' mean codes.

use super::*;

/// The images on the map.
pub(super) struct MapSet {
    pub(super) dataset: String,
    /// `test`, `train`, `sample` (the shipped 2,000) or `subset` (2,000 while training).
    pub(super) source: &'static str,
    pub(super) images: Arc<Dataset>,
    pub(super) labels: Arc<Vec<f32>>,
}

/// The map's codes for one model.
pub(super) struct MapCodes {
    /// Which model (and training step) they are for.
    pub(super) key: String,
    pub(super) latent: usize,
    /// n × 2: where each image sits on the map.
    pub(super) positions: Arc<Vec<f32>>,
    /// From a wide code to the plane and back (None for a 2-D code).
    pub(super) projection: Option<Pca>,
    /// Per code unit: the 1st and 99th percentile over the map's images (the sliders' range).
    pub(super) ranges: Vec<[f32; 2]>,
    /// Per class: the mean code (the attribute sliders' ends).
    pub(super) class_means: Vec<Option<Vec<f32>>>,
}
/// The `p`-quantile of `v` (sorted in place).
pub(super) fn quantile(v: &mut [f32], p: f64) -> f32 {
    v.sort_unstable_by(f32::total_cmp);
    if v.is_empty() {
        return 0.0;
    }
    v[((v.len() - 1) as f64 * p).round() as usize]
}

/// The statistics of a map's codes the page needs (see [`MapCodes`]).
pub(super) fn map_codes(key: String, latent: usize, codes: Vec<f32>, labels: &[f32]) -> MapCodes {
    let n = codes.len() / latent.max(1);
    let ranges = (0..latent)
        .map(|j| {
            let mut col: Vec<f32> = (0..n).map(|i| codes[i * latent + j]).collect();
            [quantile(&mut col, 0.01), quantile(&mut col, 0.99)]
        })
        .collect();
    let mut sums = vec![(0usize, vec![0f64; latent]); 10];
    for (i, &l) in labels.iter().enumerate().take(n) {
        if let Some((count, s)) = sums.get_mut(l as usize) {
            *count += 1;
            s.iter_mut()
                .zip(&codes[i * latent..(i + 1) * latent])
                .for_each(|(a, &b)| *a += b as f64);
        }
    }
    let class_means = sums
        .into_iter()
        .map(|(c, s)| (c > 0).then(|| s.iter().map(|v| (v / c as f64) as f32).collect()))
        .collect();
    let (positions, projection) = if latent == 2 {
        (codes, None)
    } else {
        let data: Vec<f64> = codes.iter().map(|&v| v as f64).collect();
        match Pca::fit(&data, latent, 2) {
            Ok(p) => {
                let pos = codes
                    .chunks_exact(latent)
                    .flat_map(|c| {
                        let z: Vec<f64> = c.iter().map(|&v| v as f64).collect();
                        p.project(&z).into_iter().map(|v| v as f32)
                    })
                    .collect();
                (pos, Some(p))
            }
            // a 1-D code (or no images): the first unit against zero
            Err(_) => (
                codes
                    .chunks_exact(latent.max(1))
                    .flat_map(|c| [c[0], 0.0])
                    .collect(),
                None,
            ),
        }
    };
    MapCodes {
        key,
        latent,
        positions: Arc::new(positions),
        projection,
        ranges,
        class_means,
    }
}

impl DigitsJob {
    /// Which images the map shows now: (dataset, source).
    pub(super) fn wanted_map(&self) -> (String, &'static str) {
        if self.training() {
            return (self.settings.dataset.clone(), "subset");
        }
        let dataset = self.dataset().to_string();
        let source = match (self.present(&dataset), self.settings.map.as_str()) {
            (false, _) => "sample",
            (true, "train") => "train",
            (true, _) => "test",
        };
        (dataset, source)
    }

    /// Loads the map's images when other ones are wanted.
    pub(super) fn ensure_map(&mut self) -> Result<(), WireError> {
        let (dataset, source) = self.wanted_map();
        if self
            .map
            .as_ref()
            .is_some_and(|m| m.dataset == dataset && m.source == source)
        {
            return Ok(());
        }
        let missing = |e: anyhow::Error| WireError::new("not_found", format!("{e:#}"));
        let images: Arc<Dataset> = match source {
            "sample" => Arc::new(
                shipped::sample(&dataset)
                    .ok_or_else(|| WireError::invalid(format!("no shipped sample of {dataset}")))?
                    .map_err(missing)?,
            ),
            "train" => self.load(&dataset, Split::Train)?,
            "test" => self.load(&dataset, Split::Test)?,
            _ => {
                let test = self.load(&dataset, Split::Test)?;
                Arc::new(test.subset(&shipped::sample_indices(test.len())))
            }
        };
        let labels = Arc::new(
            images
                .labels
                .as_ref()
                .map(|l| l.iter().map(|&v| v as f32).collect())
                .unwrap_or_else(|| vec![0.0; images.len()]),
        );
        self.map = Some(MapSet {
            dataset,
            source,
            images,
            labels,
        });
        self.codes = None;
        Ok(())
    }

    /// Which model the map's codes must be for.
    pub(super) fn model_key(&self) -> String {
        let map = self.map.as_ref().map_or("", |m| m.source);
        if self.training() {
            format!("train@{}:{map}", self.steps)
        } else {
            format!("{}:{map}", self.settings.model)
        }
    }

    /// The map's codes for the model as it is now (computed once per model and step).
    pub(super) fn ensure_codes(&mut self) -> Result<(), WireError> {
        if self.training() && self.trainer.is_none() {
            self.codes = None;
            return Ok(());
        }
        self.ensure_map()?;
        let key = self.model_key();
        if self.codes.as_ref().is_some_and(|c| c.key == key) {
            return Ok(());
        }
        let model = current_model(
            &self.settings,
            self.fixed.as_ref(),
            &mut self.inference,
            self.trainer.as_ref(),
            self.steps,
        )?;
        let latent = model.arch.latent_size();
        let map = self.map.as_ref().expect("ensured");
        let codes = model.encode_host(&map.images.values, 1000);
        self.codes = Some(map_codes(key, latent, codes, &map.labels));
        Ok(())
    }

    /// Where a code sits on the map.
    pub(super) fn position(codes: Option<&MapCodes>, code: &[f32]) -> [f32; 2] {
        match codes.and_then(|c| c.projection.as_ref()) {
            Some(p) => {
                let z: Vec<f64> = code.iter().map(|&v| v as f64).collect();
                let xy = p.project(&z);
                [xy[0] as f32, xy[1] as f32]
            }
            None => [code[0], code.get(1).copied().unwrap_or(0.0)],
        }
    }

    /// The code at a spot of the map (a wide code: the projection's plane through the mean).
    pub(super) fn code_at(codes: Option<&MapCodes>, latent: usize, xy: [f32; 2]) -> Vec<f32> {
        match codes.and_then(|c| c.projection.as_ref()) {
            Some(p) => p
                .reconstruct(&[xy[0] as f64, xy[1] as f64])
                .into_iter()
                .map(|v| v as f32)
                .collect(),
            None => {
                let mut c = vec![0.0; latent];
                c.iter_mut().zip(xy).for_each(|(a, b)| *a = b);
                c
            }
        }
    }

    /// The codes at the centres of the cells of an n × n grid over `b` (x0, x1, y0, y1 on the
    /// map), row by row from the top (the largest y).
    pub(super) fn grid_codes(
        codes: Option<&MapCodes>,
        latent: usize,
        b: &[f32],
        n: usize,
    ) -> Vec<f32> {
        let mut z = Vec::with_capacity(n * n * latent);
        for r in 0..n {
            for c in 0..n {
                let x = b[0] + (b[1] - b[0]) * (c as f32 + 0.5) / n as f32;
                let y = b[3] - (b[3] - b[2]) * (r as f32 + 0.5) / n as f32;
                z.extend(Self::code_at(codes, latent, [x, y]));
            }
        }
        z
    }
}
