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
    glass::{Explorer, ExplorerSettings, ExplorerView, UPLOADED},
    metrics::Pca,
};
use serde::Deserialize;
use serde_json::{Map, Value, json};

use crate::{Change, Context, Frame, PageJob, Progress, RunState, WireError};

/// Memory one session's timeline may use; the number of moments kept follows from it.
pub const TIMELINE_BYTES: usize = 4 << 20;
/// Fewest and most moments a timeline keeps before thinning.
pub const TIMELINE_MOMENTS: (usize, usize) = (24, 400);
/// Longest uploaded file name kept (longer ones are cut).
const MAX_NAME: usize = 80;

/// The explorer's own messages.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Latent3dCommand {
    /// Your own points: a CSV of x,y,z rows, centred and scaled to the unit cube.
    Upload { name: String, csv: String },
}

/// The model's state at one moment, in f32 for the wire (row-major arrays).
#[derive(Debug, Clone, PartialEq)]
pub struct Moment {
    pub epoch: u64,
    pub loss: f64,
    pub codes: Vec<f32>,
    pub reconstructions: Vec<f32>,
    pub errors: Vec<f32>,
    pub trails: Vec<f32>,
}

impl Moment {
    fn of(v: &ExplorerView) -> Self {
        let mut m = Self::of_view(v);
        m.trails = f32s(&v.trails);
        m
    }

    /// The view without its trails (the live view shows those of the last refresh).
    fn of_view(v: &ExplorerView) -> Self {
        Moment {
            epoch: v.epoch,
            loss: v.loss,
            codes: f32s(&v.codes),
            reconstructions: f32s(&v.reconstructions),
            errors: f32s(&v.errors),
            trails: Vec::new(),
        }
    }

    fn bytes(&self) -> usize {
        4 * (self.codes.len() + self.reconstructions.len() + self.errors.len() + self.trails.len())
    }
}

fn f32s(a: &[f64]) -> Vec<f32> {
    a.iter().map(|&x| x as f32).collect()
}

/// Moments kept every K epochs, bounded in memory: when full, every other moment of the
/// older half is dropped (recent moments stay dense, old ones thin out).
#[derive(Debug, Default)]
pub struct Timeline {
    moments: Vec<Arc<Moment>>,
    /// Changes whenever the timeline is cleared, so a page knows its indices went stale.
    pub generation: u64,
}

impl Timeline {
    fn clear(&mut self) {
        self.moments.clear();
        self.generation += 1;
    }

    fn push(&mut self, m: Moment) {
        if self.moments.last().is_some_and(|l| l.epoch == m.epoch) {
            return;
        }
        let cap = (TIMELINE_BYTES / m.bytes().max(1)).clamp(TIMELINE_MOMENTS.0, TIMELINE_MOMENTS.1);
        self.moments.push(Arc::new(m));
        if self.moments.len() >= cap {
            let half = self.moments.len() / 2;
            let mut kept: Vec<Arc<Moment>> =
                self.moments[..half].iter().step_by(2).cloned().collect();
            kept.extend_from_slice(&self.moments[half..]);
            self.moments = kept;
        }
    }

    pub fn get(&self, i: usize) -> Option<Arc<Moment>> {
        self.moments.get(i).cloned()
    }

    pub fn len(&self) -> usize {
        self.moments.len()
    }

    pub fn is_empty(&self) -> bool {
        self.moments.is_empty()
    }

    pub fn epochs(&self) -> Vec<u64> {
        self.moments.iter().map(|m| m.epoch).collect()
    }
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
        let finite = |v: f64| if v.is_finite() { json!(v) } else { Value::Null };
        Frame::new(json!({
            "moment": moment.map(|(i, _)| i),
            "dataset_label": self.data.label,
            "sizes": self.explorer.config.sizes(),
            "params": self.explorer.net.param_count(),
            "n": self.data.points.len() / 3,
            "latent": self.settings.latent,
            "epoch": m.epoch,
            "loss": finite(m.loss),
            "ae_error": finite(m.loss),
            "pca_error": finite(self.data.pca_error),
            "trails_epoch": trails_epoch,
            "trail_reference": self.trail_reference,
            "timeline": self.timeline.epochs(),
            "timeline_generation": self.timeline.generation,
        }))
        .with("points", self.data.points.clone())
        .with("codes", Arc::new(m.codes.clone()))
        .with("reconstructions", Arc::new(m.reconstructions.clone()))
        .with("errors", Arc::new(m.errors.clone()))
        .with("trails", trails)
        .with("pca_codes", self.data.pca_codes.clone())
        .with("pca_errors", self.data.pca_errors.clone())
    }
}

impl PageJob for Latent3dJob {
    type Settings = ExplorerSettings;
    type Command = Latent3dCommand;
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

    fn query(&mut self, name: &str, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        match name {
            "moment" => {
                let i = fields.get("index").and_then(Value::as_u64).ok_or_else(|| {
                    WireError::malformed("a moment query needs a whole-number index")
                })? as usize;
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
            _ => Err(WireError::new(
                "unknown_query",
                format!("the explorer answers no query '{name}' (only 'moment')"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Encoded, decode, testing::Probe};

    fn epoch(f: &Frame) -> u64 {
        f.header["epoch"].as_u64().unwrap()
    }

    fn array<'a>(f: &'a Frame, name: &str) -> &'a [f32] {
        &f.arrays.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn plays_pauses_steps_and_resets_with_a_timeline() {
        let mut p = Probe::<Latent3dJob>::start();
        let first = p.latest();
        assert_eq!(epoch(&first), 0);
        assert_eq!(array(&first, "points").len(), 200 * 3);
        assert_eq!(array(&first, "codes").len(), 200 * 2);
        assert_eq!(first.header["timeline"], json!([0]));
        p.send(r#"{"type":"speed","value":0}"#);
        p.send(r#"{"type":"play"}"#);
        p.run(600);
        let s = p.latest();
        assert_eq!(s.header["run"]["training"], true);
        assert!(s.header["loss"].as_f64() < first.header["loss"].as_f64());
        let te = s.header["trails_epoch"].as_u64().unwrap();
        assert!(te.is_multiple_of(50) && te + 100 > epoch(&s));
        p.send(r#"{"type":"pause"}"#);
        assert_eq!(p.latest().header["run"]["training"], false);
        let frozen = epoch(&p.latest());
        assert_eq!(p.run(10), 0, "pause stops the steps");
        assert_eq!(epoch(&p.latest()), frozen, "pause freezes the epoch");
        p.send(r#"{"type":"step"}"#);
        let stepped = p.latest();
        assert_eq!(epoch(&stepped), frozen + 1);
        // the timeline holds a moment every 50 epochs, starting at 0
        let tl = stepped.header["timeline"].as_array().unwrap();
        assert!(tl.len() >= 12);
        assert!(tl.iter().all(|e| e.as_u64().unwrap().is_multiple_of(50)));
        let m = p.ask(r#"{"type":"query","id":9,"query":"moment","index":3}"#);
        assert_eq!((m.header["id"].as_u64(), epoch(&m)), (Some(9), 150));
        assert_eq!(m.header["moment"], 3);
        assert!(m.header["loss"].as_f64() > s.header["loss"].as_f64());
        let e = p.refused(r#"{"type":"query","id":10,"query":"moment","index":100000}"#);
        assert!(e.contains("does not exist"), "{e}");
        p.send(r#"{"type":"reset"}"#);
        let r = p.latest();
        assert_eq!(epoch(&r), 0);
        assert_eq!(
            array(&r, "codes"),
            array(&first, "codes"),
            "same seed, same start"
        );
        assert_eq!(r.header["timeline"], json!([0]));
        assert!(
            r.header["timeline_generation"].as_u64() > first.header["timeline_generation"].as_u64()
        );
        // the whole snapshot survives the wire
        let Encoded::Binary(bytes) = r.encode() else {
            panic!("a binary frame")
        };
        let (h, arrays) = decode(&bytes).unwrap();
        assert_eq!(h["type"], "snapshot");
        assert_eq!(
            arrays.len(),
            7,
            "points, codes, reconstructions, errors, trails, PCA codes and errors"
        );
    }

    #[test]
    fn changing_the_dataset_pauses_and_resets_and_bad_settings_change_nothing() {
        let mut p = Probe::<Latent3dJob>::start();
        p.send(r#"{"type":"speed","value":0}"#);
        p.send(r#"{"type":"play"}"#);
        p.run(101);
        p.send(r#"{"type":"configure","dataset":"saddle","points":40,"latent":1}"#);
        let s = p.latest();
        assert_eq!(s.header["settings"]["dataset"], "saddle");
        assert_eq!(s.header["run"]["training"], false);
        assert_eq!(epoch(&s), 0);
        assert_eq!(array(&s, "points").len(), 40 * 3);
        assert_eq!(array(&s, "codes").len(), 40);
        assert_eq!(array(&s, "pca_codes").len(), 40);
        assert!(s.header["pca_error"].as_f64().unwrap() > 0.0);
        assert_eq!(s.header["sizes"], json!([3, 64, 64, 1, 64, 64, 3]));
        // the learning rate applies without a reset
        p.send(r#"{"type":"configure","lr":0.05}"#);
        let s = p.latest();
        assert_eq!(s.header["settings"]["lr"], 0.05);
        assert_eq!(s.header["settings"]["dataset"], "saddle");
        // refused at once, or by the job, with the reason; nothing changes
        assert!(
            p.refused(r#"{"type":"configure","points":5000}"#)
                .contains("point count 5000")
        );
        assert!(
            p.refused(r#"{"type":"configure","dataset":"cube"}"#)
                .contains("cube")
        );
        assert!(
            p.refused(r#"{"type":"configure","dataset":"upload"}"#)
                .contains("upload a CSV first")
        );
        assert_eq!(p.latest().header["settings"]["dataset"], "saddle");
    }

    #[test]
    fn uploads_replace_the_points_or_are_refused_with_the_reason() {
        let mut p = Probe::<Latent3dJob>::start();
        let csv: String = (0..30)
            .map(|i| format!("{},0.5,-0.5\n", i as f64 / 30.0))
            .collect();
        p.send(
            &json!({"type": "upload", "name": "line.csv", "csv": format!("x,y,z\n{csv}")})
                .to_string(),
        );
        let s = p.latest();
        assert_eq!(s.header["settings"]["dataset"], UPLOADED);
        assert_eq!(s.header["dataset_label"], "line.csv");
        assert_eq!(s.header["settings"]["points"], 30);
        // a line is one-dimensional: PCA reconstructs it exactly
        assert!(s.header["pca_error"].as_f64().unwrap() < 1e-12);
        let e = p.refused(r#"{"type":"upload","name":"bad.csv","csv":"1,2\n3,4\n"}"#);
        assert!(e.contains("bad.csv") && e.contains("exactly 3"), "{e}");
        assert_eq!(p.latest().header["dataset_label"], "line.csv");
    }

    #[test]
    fn the_timeline_stays_bounded_and_keeps_the_start() {
        let mut t = Timeline::default();
        for e in 0..5000u64 {
            t.push(Moment {
                epoch: e * 10,
                loss: 1.0,
                codes: vec![0.0; 50],
                reconstructions: vec![0.0; 75],
                errors: vec![0.0; 25],
                trails: vec![0.0; 50],
            });
        }
        assert!(t.len() < TIMELINE_MOMENTS.1);
        let epochs = t.epochs();
        assert_eq!(epochs[0], 0);
        assert_eq!(*epochs.last().unwrap(), 49_990);
        assert!(epochs.windows(2).all(|w| w[0] < w[1]));
        // recent moments are dense
        assert_eq!(epochs[epochs.len() - 2], 49_980);
    }
}
