//! Maps of codes: PCA (at once), t-SNE or UMAP (a piece of work a step: the neighbour search
//! in blocks, then an iteration or epoch) of up to 70,000 images' pixels or a shipped model's
//! 30-D codes; the page sees the map form, its trustworthiness, and each point's neighbours
//! in what was mapped.

use std::sync::Arc;

use hourglass_core::{
    checkpoint::Checkpoint,
    data::{Dataset, Split},
    project::{self, MapRun, Method, TsneOptions, UmapOptions},
    settings::Choice,
    tensor::{Autoencoder, inference_device},
};
use serde::Serialize;
use serde_json::json;

use super::{Source, UsesJob, UsesSettings};
use crate::{
    Frame, Progress, WireError,
    fields::{PIXELS, whole},
    shipped,
};

/// Neighbours counted by the maps' trustworthiness, and points it is estimated from.
pub(super) const TRUST_K: usize = 10;
const TRUST_SAMPLE: usize = 2_000;
/// t-SNE iterations.
pub(super) const TSNE_ITERATIONS: usize = 750;

/// What a map depends on: only the settings of the method in use (a UMAP setting does not
/// redo a t-SNE map).
pub(super) fn key(s: &UsesSettings) -> String {
    let shape = match s.method {
        Method::Tsne => format!("{}", s.perplexity),
        Method::Umap => format!("{}/{}", s.neighbours, s.min_dist),
        Method::Pca => String::new(),
    };
    format!(
        "{}/{}/{}/{}/{}/{}",
        s.dataset,
        s.method.name(),
        s.source.name(),
        s.points,
        shape,
        s.seed
    )
}

/// A map: what it maps, its coordinates, and how far it got.
pub(super) struct MapResult {
    key: String,
    method: Method,
    source: Source,
    values: Arc<Vec<f32>>,
    dim: usize,
    pub labels: Arc<Vec<f32>>,
    /// The images mapped (for hover and neighbours).
    images: Arc<Dataset>,
    /// The coordinates last shown, and the iteration they are from.
    xy: Option<Arc<Vec<f32>>>,
    xy_at: usize,
    /// Iterations (t-SNE) or epochs (UMAP) a run makes; 1 for PCA.
    iterations: usize,
    trust: Option<f64>,
    /// A t-SNE or UMAP run not begun yet: its first step prepares it (the reduction of
    /// pixels to 50 principal components: seconds for 70,000 images), so the page first
    /// hears that it is being prepared.
    pending: Option<(TsneOptions, UmapOptions)>,
    /// The run while it goes on.
    run: Option<MapRun>,
    seconds: f64,
    /// When it started, by the host's clock.
    started: f64,
}

impl MapResult {
    fn iteration(&self) -> usize {
        match (&self.run, &self.pending) {
            (Some(run), _) => run.iteration(),
            (None, Some(_)) => 0,
            (None, None) => self.iterations,
        }
    }

    /// Still being made (or about to be).
    fn going(&self) -> bool {
        self.run.is_some() || self.pending.is_some()
    }

    /// The coordinates as they stand (copied from a run when it moved on since last asked).
    pub fn xy(&mut self) -> Option<Arc<Vec<f32>>> {
        if let Some(run) = &self.run
            && let Some(y) = run.coords()
            && (self.xy.is_none() || self.xy_at != run.iteration())
        {
            self.xy = Some(Arc::new(y.to_vec()));
            self.xy_at = run.iteration();
        }
        self.xy.clone()
    }

    pub fn view(&self) -> MapView<'_> {
        MapView {
            method: self.method.name(),
            source: self.source.name(),
            count: self.labels.len(),
            dim: self.dim,
            iteration: self.iteration(),
            iterations: self.iterations,
            running: self.going(),
            preparing: self.pending.is_some(),
            // while a run finds each point's neighbours, how many it has done
            searched: self
                .run
                .as_ref()
                .filter(|r| r.coords().is_none())
                .map(|r| r.searched().0),
            trust: self.trust,
            seconds: self.seconds,
            images: &self.images.name,
        }
    }

    fn trustworthiness(&self, xy: &[f32], seed: u64) -> Result<f64, WireError> {
        Ok(project::trustworthiness(
            &self.values,
            self.dim,
            xy,
            TRUST_K,
            TRUST_SAMPLE,
            seed,
        )?)
    }
}

/// The map as the snapshot shows it (its points travel as the arrays `map_xy` and
/// `map_labels`).
#[derive(Serialize)]
pub struct MapView<'a> {
    method: &'static str,
    /// `pixels` or `codes`, and how many numbers each point has there.
    source: &'static str,
    dim: usize,
    count: usize,
    /// t-SNE's iterations or UMAP's epochs: done, and in all.
    iteration: usize,
    iterations: usize,
    running: bool,
    /// Reading the images or preparing the run (before the first iteration).
    preparing: bool,
    /// Points whose nearest neighbours have been found, while the run looks for them.
    searched: Option<usize>,
    /// Trustworthiness of the finished map (k = 12), and the seconds it took.
    trust: Option<f64>,
    seconds: f64,
    /// The dataset's name of the images mapped.
    images: &'a str,
}

impl UsesJob {
    /// The images a map shows: the first of the test split, then the training split; the
    /// shipped sample without the dataset.
    fn map_images(&mut self) -> Result<Dataset, WireError> {
        let n = self.settings.points as usize;
        if !self.datasets.is_present(&self.settings.dataset) {
            let sample = shipped::sample(&self.settings.dataset)
                .ok_or_else(|| WireError::invalid("no shipped sample of this dataset"))?
                .map_err(|e| WireError::invalid(e.to_string()))?;
            return Ok(sample.take(n));
        }
        let test = self.test_set()?;
        if n <= test.len() {
            return Ok(test.take(n));
        }
        let train = self.load(Split::Train)?.take(n - test.len());
        let mut values = test.values.clone();
        values.extend_from_slice(&train.values);
        let mut labels = test.labels.clone().unwrap_or_default();
        labels.extend(train.labels.unwrap_or_default());
        Dataset::new(
            format!("{} test + train", test.name),
            PIXELS,
            values,
            Some(labels),
        )
        .map_err(WireError::from)
    }

    /// What the map places: the images' pixels, or the shipped 30-D model's codes of them.
    fn map_values(&self, images: &Dataset) -> Result<(Vec<f32>, usize), WireError> {
        if self.settings.source == Source::Pixels {
            return Ok((images.values.clone(), PIXELS));
        }
        let name = if self.settings.dataset == "mnist" {
            "mnist-30d"
        } else {
            "fashion-30d"
        };
        let m = shipped::model(name)
            .ok_or_else(|| WireError::invalid(format!("no shipped model {name}")))?;
        let ck = Checkpoint::from_bytes(m.name, m.bytes)?;
        let model =
            Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())?;
        Ok((
            model.encode_host(&images.values, 512),
            model.arch.latent_size(),
        ))
    }

    fn start_map(&mut self) -> Result<(), WireError> {
        let s = &self.settings;
        let (method, seed) = (s.method, s.seed);
        let tsne = TsneOptions {
            perplexity: s.perplexity,
            iterations: TSNE_ITERATIONS,
            seed,
        };
        let umap = UmapOptions {
            neighbours: s.neighbours as usize,
            min_dist: s.min_dist,
            epochs: 0,
            seed,
        };
        let images = self.map_images()?;
        let (values, dim) = self.map_values(&images)?;
        let labels: Vec<f32> = images
            .labels
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .map(|&l| l as f32)
            .collect();
        let n = images.len();
        let mut map = MapResult {
            key: key(&self.settings),
            method,
            source: self.settings.source,
            values: Arc::new(values),
            dim,
            labels: Arc::new(labels),
            images: Arc::new(images),
            xy: None,
            xy_at: 0,
            iterations: match method {
                Method::Pca => 1,
                Method::Tsne => tsne.iterations,
                Method::Umap => umap.epochs_for(n),
            },
            trust: None,
            pending: (method != Method::Pca).then_some((tsne, umap)),
            run: None,
            seconds: 0.0,
            started: self.ctx.clock.now(),
        };
        if method == Method::Pca {
            let xy = project::pca_map(&map.values, dim, seed)?;
            map.trust = Some(map.trustworthiness(&xy, seed)?);
            map.xy = Some(Arc::new(xy));
            map.seconds = self.ctx.clock.now() - map.started;
            self.done_message = Some("PCA map done.".into());
        }
        self.map = Some(map);
        self.version += 1;
        Ok(())
    }

    /// A piece of the map's work: a new map when the settings changed (or a finished one is
    /// asked for again), else the run's next step; at its end, the trustworthiness.
    pub(super) fn map_step(&mut self) -> Result<Option<Progress>, WireError> {
        let key = key(&self.settings);
        if self.map.as_ref().is_none_or(|m| m.key != key || !m.going()) {
            self.map = None;
            self.start_map()?;
            return Ok(None);
        }
        let seed = self.settings.seed;
        let now = self.ctx.clock.now();
        let Some(map) = self.map.as_mut() else {
            return Ok(None);
        };
        let name = map.method.title();
        if let Some((tsne, umap)) = map.pending.take() {
            map.run = Some(MapRun::new(map.method, &map.values, map.dim, &tsne, &umap)?);
            return Ok(None);
        }
        let Some(run) = map.run.as_mut() else {
            return Ok(None);
        };
        if let Err(e) = run.step() {
            map.run = None;
            return Err(WireError::invalid(format!("{name}: {e}")));
        }
        if run.done() {
            let xy = run.coords().map(<[f32]>::to_vec).unwrap_or_default();
            map.run = None;
            map.trust = Some(map.trustworthiness(&xy, seed)?);
            map.xy = Some(Arc::new(xy));
            map.seconds = now - map.started;
            self.done_message = Some(format!(
                "{name} map of {} points done in {:.1} s.",
                map.labels.len(),
                map.seconds
            ));
            self.version += 1;
        }
        Ok(None)
    }

    fn map_ready(&self) -> Result<&MapResult, WireError> {
        self.map
            .as_ref()
            .filter(|m| m.xy.is_some())
            .ok_or_else(|| WireError::invalid("make a map first"))
    }

    /// One mapped image.
    pub(super) fn map_image(&self, index: Option<usize>) -> Result<Frame, WireError> {
        let m = self.map_ready()?;
        let i = whole("index", index, (0, m.labels.len().saturating_sub(1)), 0)?;
        Ok(Frame::new(json!({"index": i, "label": m.labels.get(i)}))
            .with("pixels", Arc::new(m.images.sample(i).to_vec())))
    }

    /// A point's nearest neighbours in what was mapped (codes or pixels), not on the map,
    /// and how many of them are also among its nearest on the map.
    pub(super) fn neighbours(
        &self,
        index: Option<usize>,
        k: Option<usize>,
    ) -> Result<Frame, WireError> {
        let m = self.map_ready()?;
        let i = whole("index", index, (0, m.labels.len().saturating_sub(1)), 0)?;
        let k = whole("k", k, (1, 32), 8)?;
        let near = project::nearest(&m.values, m.dim, i, k);
        let images: Vec<f32> = near
            .iter()
            .flat_map(|&(j, _)| m.images.sample(j).iter().copied())
            .collect();
        let on_map: Vec<usize> = match &m.xy {
            Some(xy) => project::nearest(xy, 2, i, k).iter().map(|p| p.0).collect(),
            None => Vec::new(),
        };
        let kept = near.iter().filter(|(j, _)| on_map.contains(j)).count();
        Ok(Frame::new(json!({
            "index": i, "label": m.labels.get(i),
            "neighbours": near.iter().map(|&(j, d)| json!({"index": j, "distance": d, "label": m.labels.get(j)})).collect::<Vec<_>>(),
            "kept_on_map": kept,
        }))
        .with("images", Arc::new(images))
        .with("pixels", Arc::new(m.images.sample(i).to_vec())))
    }
}
