//! The 3D Latent Explorer's job: the explorer (its points, model and optimizer), one
//! full-batch epoch per step, a timeline moment kept every K epochs, the exact trails
//! refreshed with it, and PCA of the same points beside it.
//!
//! Its own message: `{"type": "upload", "name": "points.csv", "csv": "x,y,z rows"}`.
//! Query: `moment` with `index` (a timeline moment, answered as a frame like a snapshot's).
//! Snapshots are binary frames (points, codes, reconstructions, errors, trails, PCA codes).

use std::sync::Arc;

use hourglass_core::{
    data::{PointSet, Shape3d, points_from_csv, points3d},
    glass::{Explorer, ExplorerSettings, UPLOADED},
    metrics::Pca,
};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{Change, Context, Frame, PageJob, Progress, RunState, WireError};

mod timeline;

pub use timeline::{Moment, TIMELINE_BYTES, TIMELINE_MOMENTS, Timeline};

/// Longest uploaded file name kept (longer ones are cut).
const MAX_NAME: usize = 80;

/// The explorer's own messages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latent3dCommand {
    /// Your own points: a CSV of x,y,z rows, centred and scaled to the unit cube.
    Upload { name: String, csv: String },
}

/// The points and PCA baseline of the current dataset.
struct Data {
    label: String,
    points: Arc<Vec<f32>>,
    pca_codes: Arc<Vec<f32>>,
    /// PCA's squared error at each point (per coordinate, as the autoencoder's `errors`).
    pca_errors: Arc<Vec<f32>>,
    pca_error: f64,
}

impl Data {
    fn new(label: String, points: &[[f64; 3]], latent: usize) -> Self {
        let flat: Vec<f64> = points.iter().flatten().copied().collect();
        // PCA with as many components as the code has dimensions
        let (pca_codes, pca_errors, pca_error) = match Pca::fit(&flat, 3, latent) {
            Ok(pca) => (
                points
                    .iter()
                    .flat_map(|p| pca.project(p))
                    .map(|v| v as f32)
                    .collect(),
                points
                    .iter()
                    .map(|p| {
                        let r = pca.reconstruct(&pca.project(p));
                        (r.iter().zip(p).map(|(a, b)| (a - b).powi(2)).sum::<f64>() / 3.0) as f32
                    })
                    .collect(),
                pca.reconstruction_mse(&flat),
            ),
            Err(_) => (
                vec![0.0; points.len() * latent],
                vec![f32::NAN; points.len()],
                f64::NAN,
            ),
        };
        Data {
            label,
            points: Arc::new(flat.iter().map(|&v| v as f32).collect()),
            pca_codes: Arc::new(pca_codes),
            pca_errors: Arc::new(pca_errors),
            pca_error,
        }
    }
}

pub struct Latent3dJob {
    settings: ExplorerSettings,
    explorer: Explorer,
    data: Data,
    uploaded: Option<(String, Vec<[f64; 3]>)>,
    /// The trails of the last refresh, and their epoch.
    trails: Arc<Vec<f32>>,
    trails_epoch: u64,
    /// The longest trail at epoch 0 of this model: the page draws trails against it, so
    /// they shrink as training settles.
    trail_reference: f32,
    timeline: Timeline,
}

fn build(
    settings: &ExplorerSettings,
    uploaded: &Option<(String, Vec<[f64; 3]>)>,
) -> Result<(Explorer, Data), WireError> {
    let (label, points) = if settings.dataset == UPLOADED {
        let (name, pts) = uploaded
            .as_ref()
            .ok_or_else(|| WireError::invalid("no uploaded points yet: upload a CSV first"))?;
        (name.clone(), pts.clone())
    } else {
        let shape: Shape3d = settings.dataset.parse()?;
        let PointSet { points, .. } =
            points3d(shape, settings.points, settings.noise, settings.seed)?;
        (shape.name().to_string(), points)
    };
    let data = Data::new(label, &points, settings.latent);
    let explorer = Explorer::new(points, settings.config(), settings.seed)?;
    Ok((explorer, data))
}

impl Latent3dJob {
    /// Refreshes the trails and keeps a timeline moment of the current view.
    fn record(&mut self) {
        let m = Moment::of(self.explorer.view());
        self.trails = Arc::new(m.trails.clone());
        self.trails_epoch = m.epoch;
        self.timeline.push(m);
    }

    /// Epoch 0 of the current model: trails and timeline start again.
    fn restart(&mut self) {
        self.timeline.clear();
        self.record();
        let k = self.settings.latent.max(1);
        self.trail_reference = self
            .trails
            .chunks_exact(k)
            .map(|t| t.iter().map(|v| v * v).sum::<f32>().sqrt())
            .fold(0.0, f32::max);
    }

    /// New points, model and PCA from `next`; on failure nothing changes.
    fn rebuild(&mut self, next: ExplorerSettings) -> Result<Change, WireError> {
        let (explorer, data) = build(&next, &self.uploaded)?;
        self.settings = next;
        self.settings.points = explorer.points().len();
        self.explorer = explorer;
        self.data = data;
        self.restart();
        Ok(Change::Restarted)
    }

    /// The live view (`None`) or timeline moment `i` as a frame.
    fn view_frame(&self, moment: Option<(usize, &Moment)>) -> Frame {
        let live;
        let (m, trails_epoch, trails) = match moment {
            Some((_, m)) => (m, m.epoch, Arc::new(m.trails.clone())),
            None => {
                live = Moment::of_view(self.explorer.view());
                (&live, self.trails_epoch, self.trails.clone())
            }
        };
        let finite = |v: f64| v.is_finite().then_some(v);
        Frame::of(&ExplorerSnapshot {
            moment: moment.map(|(i, _)| i),
            dataset_label: &self.data.label,
            sizes: self.explorer.config.sizes(),
            params: self.explorer.net.param_count(),
            n: self.data.points.len() / 3,
            latent: self.settings.latent,
            epoch: m.epoch,
            loss: finite(m.loss),
            ae_error: finite(m.loss),
            pca_error: finite(self.data.pca_error),
            trails_epoch,
            trail_reference: self.trail_reference,
            timeline: self.timeline.epochs(),
            timeline_generation: self.timeline.generation,
        })
        .with("points", self.data.points.clone())
        .with("codes", Arc::new(m.codes.clone()))
        .with("reconstructions", Arc::new(m.reconstructions.clone()))
        .with("errors", Arc::new(m.errors.clone()))
        .with("trails", trails)
        .with("pca_codes", self.data.pca_codes.clone())
        .with("pca_errors", self.data.pca_errors.clone())
    }
}

/// What the explorer shows: the live model or one moment of its timeline. Arrays: `points`
/// (n × 3), `codes`, `reconstructions`, `errors`, `trails`, `pca_codes`, `pca_errors`.
#[derive(Serialize)]
struct ExplorerSnapshot<'a> {
    /// The timeline moment shown (None: the live model).
    moment: Option<usize>,
    dataset_label: &'a str,
    sizes: [usize; 7],
    params: usize,
    n: usize,
    latent: usize,
    epoch: u64,
    loss: Option<f64>,
    ae_error: Option<f64>,
    /// PCA's error with as many components as the code (the line to beat).
    pca_error: Option<f64>,
    /// The epoch the trails were measured at, and the first trails' mean length.
    trails_epoch: u64,
    trail_reference: f32,
    /// The epochs the timeline holds, and its generation (new after a restart).
    timeline: Vec<u64>,
    timeline_generation: u64,
}

impl PageJob for Latent3dJob {
    type Settings = ExplorerSettings;
    type Command = Latent3dCommand;
    type Query = Latent3dQuery;
    const NAME: &'static str = "latent3d";
    const TITLE: &'static str = "3D Latent Explorer";
    const DEFAULT_SPEED: f64 = 250.0;

    /// The built-in datasets with a preview of each (100 points, no noise, seed 1), for the
    /// page's picker thumbnails.
    fn info(_ctx: &Context) -> Value {
        let sets: Vec<Value> = Shape3d::ALL
            .iter()
            .map(|&shape| {
                let pts = points3d(shape, 100, 0.0, 1)
                    .map(|p| p.points)
                    .unwrap_or_default();
                let round = |v: f64| (v * 1000.0).round() / 1000.0;
                json!({
                    "name": shape.name(),
                    "label": shape.label(),
                    "preview": pts.iter().map(|p| [round(p[0]), round(p[1]), round(p[2])]).collect::<Vec<_>>(),
                })
            })
            .collect();
        json!({"datasets": sets})
    }

    fn start(_ctx: Arc<Context>) -> Result<Self, WireError> {
        let settings = ExplorerSettings::default();
        let (explorer, data) = build(&settings, &None)?;
        let mut job = Latent3dJob {
            trails: Arc::new(Vec::new()),
            trails_epoch: 0,
            trail_reference: 0.0,
            settings,
            explorer,
            data,
            uploaded: None,
            timeline: Timeline::default(),
        };
        job.restart();
        Ok(job)
    }

    fn settings(&self) -> ExplorerSettings {
        self.settings.clone()
    }

    fn configure(&mut self, next: ExplorerSettings) -> Result<Change, WireError> {
        let a = &self.settings;
        let data_changed = a.dataset != next.dataset
            || (next.dataset != UPLOADED
                && (a.points != next.points || a.noise != next.noise || a.seed != next.seed));
        if data_changed || a.activation != next.activation || a.latent != next.latent {
            return self.rebuild(next);
        }
        // the learning rate and the trail interval apply at once, also while training
        self.explorer.set_learning_rate(next.lr)?;
        self.settings = next;
        Ok(Change::Kept)
    }

    fn command(&mut self, cmd: Latent3dCommand) -> Result<Change, WireError> {
        let Latent3dCommand::Upload { name, csv } = cmd;
        let name: String = name.chars().take(MAX_NAME).collect();
        let name = if name.trim().is_empty() {
            "upload.csv".to_string()
        } else {
            name
        };
        let mut set = points_from_csv(&name, csv.as_bytes())?;
        set.fit_unit_cube();
        let before = self.uploaded.replace((name, set.points));
        let next = ExplorerSettings {
            dataset: UPLOADED.into(),
            ..self.settings.clone()
        };
        self.rebuild(next)
            .inspect_err(|_| self.uploaded = before.clone())
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.explorer.reset(self.settings.seed);
        self.restart();
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        self.explorer.step();
        let v = self.explorer.view();
        let (epoch, loss) = (v.epoch, v.loss);
        if epoch.is_multiple_of(self.settings.trail_every) {
            self.record();
        }
        Ok(Some(Progress {
            x: epoch as f64,
            loss,
        }))
    }

    fn origin(&self) -> Option<Progress> {
        let v = self.explorer.view();
        Some(Progress {
            x: v.epoch as f64,
            loss: v.loss,
        })
    }

    fn frame(&mut self, _run: &RunState) -> Frame {
        self.view_frame(None)
    }

    fn query(&mut self, query: Latent3dQuery) -> Result<Frame, WireError> {
        let Latent3dQuery::Moment { index: i } = query;
        match self.timeline.get(i) {
            Some(m) => Ok(self.view_frame(Some((i, &m)))),
            None => Err(WireError::new(
                "not_found",
                format!(
                    "timeline moment {i} does not exist (the timeline has {})",
                    self.timeline.len()
                ),
            )),
        }
    }
}

/// What the explorer answers: `moment` (the model and its views at one recorded moment of
/// the timeline).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latent3dQuery {
    Moment { index: usize },
}

#[cfg(test)]
mod tests;
