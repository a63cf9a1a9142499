//! The 3D Latent Explorer's training job: a worker thread that owns the explorer (its
//! points, model and optimizer), reads commands between epochs, records a timeline moment
//! every K epochs, and publishes the latest snapshot at most ~30 times a second. Training
//! never waits for a page.

use std::{
    sync::{Arc, Mutex, mpsc},
    thread,
    time::{Duration, Instant},
};

use hourglass_core::{
    data::{PointSet, Shape3d, points3d},
    glass::{Activation, Explorer, ExplorerConfig, ExplorerView},
    metrics::Pca,
};
use serde::Serialize;
use tokio::sync::watch;

use crate::pace::Pace;

/// Snapshots are published at most this often: twice the rate a page is sent them
/// ([`crate::SNAPSHOT_PERIOD`]), so each ~33 ms send finds a fresh one.
pub const PUBLISH_EVERY: Duration = Duration::from_millis(16);
/// Points kept in the loss history (older ones are thinned out).
const HISTORY: usize = 600;
/// Memory one session's timeline may use; the number of moments kept follows from it.
pub const TIMELINE_BYTES: usize = 4 << 20;
/// Fewest and most moments a timeline keeps before thinning.
pub const TIMELINE_MOMENTS: (usize, usize) = (24, 400);
/// Trail refresh (and timeline) intervals accepted, in epochs.
pub const TRAIL_EVERY_RANGE: (u64, u64) = (1, 10_000);
/// Largest pace accepted, in epochs per second; 0 means as fast as it goes.
pub const MAX_SPEED: f64 = 100_000.0;
/// Name of the dataset made from an uploaded CSV.
pub const UPLOAD: &str = "upload";

/// The explorer's settings: everything the page keeps in its URL.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Latent3dSettings {
    /// A built-in shape's name, or `upload`.
    pub dataset: String,
    pub points: usize,
    pub noise: f64,
    pub seed: u64,
    pub lr: f64,
    pub activation: Activation,
    pub latent: usize,
    /// Trails are refreshed, and a timeline moment kept, every this many epochs.
    pub trail_every: u64,
    /// Epochs per second; 0 = as fast as it goes.
    pub speed: f64,
}

impl Default for Latent3dSettings {
    fn default() -> Self {
        Latent3dSettings {
            dataset: Shape3d::Circle.name().into(),
            points: 25,
            noise: 0.0,
            seed: 1,
            lr: 0.01,
            activation: Activation::Tanh,
            latent: 2,
            trail_every: 50,
            speed: 250.0,
        }
    }
}

/// A change of settings from the page; absent fields stay as they are. Every value has
/// been checked against its range already.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Configure {
    pub dataset: Option<Shape3d>,
    pub points: Option<usize>,
    pub noise: Option<f64>,
    pub seed: Option<u64>,
    pub lr: Option<f64>,
    pub activation: Option<Activation>,
    pub latent: Option<usize>,
    pub trail_every: Option<u64>,
    pub speed: Option<f64>,
}

/// A command from the page, already checked.
#[derive(Debug, Clone, PartialEq)]
pub enum Latent3dCommand {
    Play,
    Pause,
    /// One epoch.
    Step,
    /// New weights from the current seed, epoch 0, an empty timeline.
    Reset,
    Configure(Configure),
    /// Your own points (already read and fitted to the unit cube).
    Upload {
        name: String,
        points: Vec<[f64; 3]>,
    },
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
        Self::with_trails(v, f32s(&v.trails))
    }

    /// The view with trails computed at another moment (the live view between refreshes).
    fn with_trails(v: &ExplorerView, trails: Vec<f32>) -> Self {
        Moment {
            epoch: v.epoch,
            loss: v.loss,
            codes: f32s(&v.codes),
            reconstructions: f32s(&v.reconstructions),
            errors: f32s(&v.errors),
            trails,
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

/// Everything the explorer page shows, at one moment.
#[derive(Debug, Clone)]
pub struct Latent3dSnapshot {
    pub settings: Latent3dSettings,
    /// A label for the dataset (the uploaded file's name for an upload).
    pub dataset_label: String,
    pub training: bool,
    pub sizes: Vec<usize>,
    pub params: usize,
    /// `n × 3` input points (shared: they change only with the dataset).
    pub points: Arc<Vec<f32>>,
    /// The live state; its trails are those of the last refresh.
    pub live: Arc<Moment>,
    /// Epoch at which the trails were computed.
    pub trails_epoch: u64,
    /// `n × latent` PCA coordinates and PCA's mean squared reconstruction error.
    pub pca_codes: Arc<Vec<f32>>,
    pub pca_error: f64,
    /// Training speed actually reached over the last second.
    pub epochs_per_second: f64,
    /// (epoch, loss), thinned to a bounded length.
    pub loss_history: Vec<(u64, f64)>,
    /// Epochs of the timeline's moments, and the timeline's generation.
    pub timeline: Vec<u64>,
    pub timeline_generation: u64,
    /// A message for the page (e.g. why a setting was not applied), with a counter so the
    /// page shows each one once.
    pub notice: Option<(u64, String)>,
}

/// The points and PCA baseline of the current dataset.
struct Data {
    label: String,
    points: Arc<Vec<f32>>,
    pca_codes: Arc<Vec<f32>>,
    pca_error: f64,
}

impl Data {
    fn new(label: String, points: &[[f64; 3]], latent: usize) -> Self {
        let flat: Vec<f64> = points.iter().flatten().copied().collect();
        // PCA with as many components as the code has dimensions
        let (pca_codes, pca_error) = match Pca::fit(&flat, 3, latent) {
            Ok(pca) => (
                points
                    .iter()
                    .flat_map(|p| pca.project(p))
                    .map(|v| v as f32)
                    .collect(),
                pca.reconstruction_mse(&flat),
            ),
            Err(_) => (vec![0.0; points.len() * latent], f64::NAN),
        };
        Data {
            label,
            points: Arc::new(flat.iter().map(|&v| v as f32).collect()),
            pca_codes: Arc::new(pca_codes),
            pca_error,
        }
    }
}

struct Worker {
    settings: Latent3dSettings,
    explorer: Explorer,
    data: Data,
    uploaded: Option<(String, Vec<[f64; 3]>)>,
    training: bool,
    trails: Vec<f32>,
    trails_epoch: u64,
    history: Vec<(u64, f64)>,
    stride: u64,
    timeline: Arc<Mutex<Timeline>>,
    rate: (Instant, u64, f64),
    notice: Option<(u64, String)>,
}

fn build(
    settings: &Latent3dSettings,
    uploaded: &Option<(String, Vec<[f64; 3]>)>,
) -> Result<(Explorer, Data), String> {
    let (label, points) = if settings.dataset == UPLOAD {
        let (name, pts) = uploaded
            .as_ref()
            .ok_or("no uploaded points yet: upload a CSV first")?;
        (name.clone(), pts.clone())
    } else {
        let shape: Shape3d = settings.dataset.parse().map_err(|e| format!("{e}"))?;
        let PointSet { points, .. } =
            points3d(shape, settings.points, settings.noise, settings.seed)
                .map_err(|e| e.to_string())?;
        (shape.name().to_string(), points)
    };
    let config = ExplorerConfig {
        latent: settings.latent,
        hidden: settings.activation,
        learning_rate: settings.lr,
    };
    let data = Data::new(label, &points, settings.latent);
    let explorer = Explorer::new(points, config, settings.seed).map_err(|e| e.to_string())?;
    Ok((explorer, data))
}

impl Worker {
    fn new(settings: Latent3dSettings) -> Self {
        let (explorer, data) = build(&settings, &None).expect("the default settings are valid");
        let mut w = Worker {
            trails: Moment::of(explorer.view()).trails,
            settings,
            explorer,
            data,
            uploaded: None,
            training: false,
            trails_epoch: 0,
            history: Vec::new(),
            stride: 1,
            timeline: Arc::new(Mutex::new(Timeline::default())),
            rate: (Instant::now(), 0, 0.0),
            notice: None,
        };
        w.restart();
        w
    }

    fn tell(&mut self, text: String) {
        let n = self.notice.as_ref().map_or(0, |(n, _)| n + 1);
        self.notice = Some((n, text));
    }

    /// Epoch 0 of the current model: trails, history and timeline start again.
    fn restart(&mut self) {
        self.history.clear();
        self.stride = 1;
        self.timeline.lock().expect("timeline").clear();
        self.history.push((0, self.explorer.view().loss));
        self.record();
    }

    /// Rebuilds points, model and PCA from the settings; pauses. On failure nothing changes.
    fn rebuild(&mut self, next: Latent3dSettings) {
        self.training = false;
        match build(&next, &self.uploaded) {
            Ok((explorer, data)) => {
                self.settings = next;
                self.settings.points = explorer.points().len();
                self.explorer = explorer;
                self.data = data;
                self.restart();
            }
            Err(e) => self.tell(e),
        }
    }

    fn apply(&mut self, cmd: Latent3dCommand) {
        match cmd {
            Latent3dCommand::Play => self.training = true,
            Latent3dCommand::Pause => self.training = false,
            Latent3dCommand::Step => {
                self.training = false;
                self.epoch();
            }
            Latent3dCommand::Reset => {
                self.training = false;
                self.explorer.reset(self.settings.seed);
                self.restart();
            }
            Latent3dCommand::Upload { name, points } => {
                self.uploaded = Some((name, points));
                let next = Latent3dSettings {
                    dataset: UPLOAD.into(),
                    ..self.settings.clone()
                };
                self.rebuild(next);
            }
            Latent3dCommand::Configure(c) => {
                let mut next = self.settings.clone();
                if let Some(d) = c.dataset {
                    next.dataset = d.name().into();
                }
                if let Some(v) = c.points {
                    next.points = v;
                }
                if let Some(v) = c.noise {
                    next.noise = v;
                }
                if let Some(v) = c.seed {
                    next.seed = v;
                }
                if let Some(v) = c.activation {
                    next.activation = v;
                }
                if let Some(v) = c.latent {
                    next.latent = v;
                }
                // these apply at once, also while training
                if let Some(v) = c.lr {
                    next.lr = v;
                    if let Err(e) = self.explorer.set_learning_rate(v) {
                        self.tell(e.to_string());
                        next.lr = self.settings.lr;
                    }
                }
                if let Some(v) = c.trail_every {
                    next.trail_every = v;
                }
                if let Some(v) = c.speed {
                    next.speed = v;
                }
                let reshaped = {
                    let (a, b) = (&self.settings, &next);
                    let data_changed = a.dataset != b.dataset
                        || (b.dataset != UPLOAD
                            && (a.points != b.points || a.noise != b.noise || a.seed != b.seed));
                    data_changed || a.activation != b.activation || a.latent != b.latent
                };
                if reshaped {
                    self.rebuild(next);
                } else {
                    self.settings = next;
                }
            }
        }
    }

    fn epoch(&mut self) {
        self.explorer.step();
        let v = self.explorer.view();
        let (epoch, loss) = (v.epoch, v.loss);
        if epoch.is_multiple_of(self.stride) {
            self.history.push((epoch, loss));
            if self.history.len() >= HISTORY {
                let kept: Vec<(u64, f64)> = self.history.iter().copied().step_by(2).collect();
                self.history = kept;
                self.stride *= 2;
            }
        }
        if epoch.is_multiple_of(self.settings.trail_every) {
            self.record();
        }
    }

    /// Refreshes the trails and keeps a timeline moment of the current view.
    fn record(&mut self) {
        let m = Moment::of(self.explorer.view());
        self.trails = m.trails.clone();
        self.trails_epoch = m.epoch;
        self.timeline.lock().expect("timeline").push(m);
    }

    fn measure_rate(&mut self) {
        let (t, e, _) = self.rate;
        let elapsed = t.elapsed().as_secs_f64();
        if !self.training {
            self.rate = (Instant::now(), self.explorer.epoch(), 0.0);
        } else if elapsed >= 0.5 {
            let done = self.explorer.epoch().saturating_sub(e);
            self.rate = (Instant::now(), self.explorer.epoch(), done as f64 / elapsed);
        }
    }

    fn snapshot(&self) -> Latent3dSnapshot {
        let live = Moment::with_trails(self.explorer.view(), self.trails.clone());
        let (timeline, timeline_generation) = {
            let t = self.timeline.lock().expect("timeline");
            (t.epochs(), t.generation)
        };
        Latent3dSnapshot {
            settings: self.settings.clone(),
            dataset_label: self.data.label.clone(),
            training: self.training,
            sizes: self.explorer.config.sizes().to_vec(),
            params: self.explorer.net.param_count(),
            points: self.data.points.clone(),
            live: Arc::new(live),
            trails_epoch: self.trails_epoch,
            pca_codes: self.data.pca_codes.clone(),
            pca_error: self.data.pca_error,
            epochs_per_second: self.rate.2,
            loss_history: self.history.clone(),
            timeline,
            timeline_generation,
            notice: self.notice.clone(),
        }
    }
}

/// The built-in datasets with a preview of each (25 points, no noise, seed 1), for the
/// page's picker thumbnails.
pub fn datasets_message() -> serde_json::Value {
    let sets: Vec<serde_json::Value> = Shape3d::ALL
        .iter()
        .map(|&shape| {
            let pts = points3d(shape, 25, 0.0, 1)
                .map(|p| p.points)
                .unwrap_or_default();
            let round = |v: f64| (v * 1000.0).round() / 1000.0;
            serde_json::json!({
                "name": shape.name(),
                "label": shape.label(),
                "preview": pts.iter().map(|p| [round(p[0]), round(p[1]), round(p[2])]).collect::<Vec<_>>(),
            })
        })
        .collect();
    serde_json::json!({"type": "datasets", "sets": sets})
}

/// A running explorer job. Dropping it stops the worker.
pub struct Latent3dJob {
    commands: mpsc::Sender<Latent3dCommand>,
    snapshots: watch::Receiver<Arc<Latent3dSnapshot>>,
    timeline: Arc<Mutex<Timeline>>,
    epochs: Arc<std::sync::atomic::AtomicU64>,
}

impl Latent3dJob {
    /// Starts a worker on the default settings (25 points of a circle, seed 1), paused.
    pub fn start() -> Self {
        let (tx, rx) = mpsc::channel::<Latent3dCommand>();
        let mut worker = Worker::new(Latent3dSettings::default());
        let timeline = worker.timeline.clone();
        let epochs = Arc::new(std::sync::atomic::AtomicU64::new(0));
        let counter = epochs.clone();
        let (snap_tx, snap_rx) = watch::channel(Arc::new(worker.snapshot()));
        thread::Builder::new()
            .name("latent3d-job".into())
            .spawn(move || run(&mut worker, rx, snap_tx, &counter))
            .expect("spawn the explorer's worker thread");
        Latent3dJob {
            commands: tx,
            snapshots: snap_rx,
            timeline,
            epochs,
        }
    }

    /// Sends a command; false if the worker has ended.
    pub fn send(&self, cmd: Latent3dCommand) -> bool {
        self.commands.send(cmd).is_ok()
    }

    /// A receiver of the latest snapshot.
    pub fn subscribe(&self) -> watch::Receiver<Arc<Latent3dSnapshot>> {
        self.snapshots.clone()
    }

    /// The recorded moments (read by a connection to answer timeline requests).
    pub fn timeline(&self) -> Arc<Mutex<Timeline>> {
        self.timeline.clone()
    }

    /// Epochs trained since the job started (all resets included): for measuring speed.
    pub fn epochs_trained(&self) -> u64 {
        self.epochs.load(std::sync::atomic::Ordering::Relaxed)
    }
}

fn run(
    w: &mut Worker,
    rx: mpsc::Receiver<Latent3dCommand>,
    out: watch::Sender<Arc<Latent3dSnapshot>>,
    counter: &std::sync::atomic::AtomicU64,
) {
    let mut last_publish = Instant::now();
    let mut dirty = false;
    let mut pace = Pace::new(w.settings.speed);
    loop {
        let first = if w.training {
            match rx.try_recv() {
                Ok(c) => Some(c),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        } else {
            // idle: wait for a command, waking to publish the last state
            match rx.recv_timeout(PUBLISH_EVERY) {
                Ok(c) => Some(c),
                Err(mpsc::RecvTimeoutError::Timeout) => None,
                Err(mpsc::RecvTimeoutError::Disconnected) => return,
            }
        };
        let was_training = w.training;
        let old_speed = w.settings.speed;
        let before = w.explorer.epoch();
        for cmd in first.into_iter().chain(rx.try_iter()) {
            w.apply(cmd);
            dirty = true;
        }
        if w.training && (!was_training || w.settings.speed != old_speed) {
            pace.restart(w.settings.speed);
        }
        // a Step command trains one epoch too
        let mut trained = w.explorer.epoch().saturating_sub(before);
        if w.training {
            trained += pace.run(Duration::from_millis(5), || w.epoch());
        }
        dirty |= trained > 0;
        counter.fetch_add(trained, std::sync::atomic::Ordering::Relaxed);
        w.measure_rate();
        if dirty && last_publish.elapsed() >= PUBLISH_EVERY {
            if out.send(Arc::new(w.snapshot())).is_err() {
                return;
            }
            last_publish = Instant::now();
            dirty = false;
        }
        if w.training {
            pace.wait(PUBLISH_EVERY);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait_for(
        rx: &mut watch::Receiver<Arc<Latent3dSnapshot>>,
        pred: impl Fn(&Latent3dSnapshot) -> bool,
    ) -> Arc<Latent3dSnapshot> {
        crate::test_support::wait_for(
            rx,
            Duration::from_secs(30),
            |s| format!("epoch {}", s.live.epoch),
            pred,
        )
    }

    fn fast() -> Latent3dCommand {
        Latent3dCommand::Configure(Configure {
            speed: Some(0.0),
            ..Default::default()
        })
    }

    #[test]
    fn plays_pauses_steps_and_resets_with_a_timeline() {
        let job = Latent3dJob::start();
        let mut rx = job.subscribe();
        let first = rx.borrow().clone();
        assert_eq!(first.live.epoch, 0);
        assert_eq!(first.points.len(), 25 * 3);
        assert_eq!(first.live.codes.len(), 25 * 2);
        assert_eq!(first.timeline, vec![0]);
        job.send(fast());
        job.send(Latent3dCommand::Play);
        let s = wait_for(&mut rx, |s| s.live.epoch >= 600);
        assert!(s.training && s.live.loss < first.live.loss);
        assert!(s.trails_epoch.is_multiple_of(50) && s.trails_epoch + 50 > s.live.epoch - 50);
        job.send(Latent3dCommand::Pause);
        let paused = wait_for(&mut rx, |s| !s.training);
        thread::sleep(Duration::from_millis(100));
        let frozen = rx.borrow().live.epoch;
        assert_eq!(frozen, paused.live.epoch.max(frozen));
        thread::sleep(Duration::from_millis(100));
        assert_eq!(rx.borrow().live.epoch, frozen, "pause freezes the epoch");
        job.send(Latent3dCommand::Step);
        let stepped = wait_for(&mut rx, |s| s.live.epoch == frozen + 1);
        // the timeline holds a moment every 50 epochs, starting at 0
        assert!(stepped.timeline.len() >= 12);
        assert!(stepped.timeline.iter().all(|e| e.is_multiple_of(50)));
        let m = job.timeline().lock().unwrap().get(3).unwrap();
        assert_eq!(m.epoch, 150);
        assert!(m.loss > s.live.loss);
        job.send(Latent3dCommand::Reset);
        let r = wait_for(&mut rx, |s| s.live.epoch == 0);
        assert_eq!(r.live.codes, first.live.codes, "same seed, same start");
        assert_eq!(r.timeline, vec![0]);
        assert!(r.timeline_generation > first.timeline_generation);
    }

    #[test]
    fn changing_the_dataset_pauses_and_resets_and_bad_settings_change_nothing() {
        let job = Latent3dJob::start();
        let mut rx = job.subscribe();
        job.send(fast());
        job.send(Latent3dCommand::Play);
        wait_for(&mut rx, |s| s.live.epoch > 100);
        job.send(Latent3dCommand::Configure(Configure {
            dataset: Some(Shape3d::Saddle),
            points: Some(40),
            latent: Some(1),
            ..Default::default()
        }));
        let s = wait_for(&mut rx, |s| s.settings.dataset == "saddle");
        assert!(!s.training);
        assert_eq!(s.live.epoch, 0);
        assert_eq!(s.points.len(), 40 * 3);
        assert_eq!(s.live.codes.len(), 40);
        assert_eq!(s.pca_codes.len(), 40);
        assert!(s.pca_error > 0.0);
        assert_eq!(s.sizes, vec![3, 64, 64, 1, 64, 64, 3]);
        // the learning rate applies without a reset
        job.send(Latent3dCommand::Configure(Configure {
            lr: Some(0.05),
            ..Default::default()
        }));
        let s = wait_for(&mut rx, |s| s.settings.lr == 0.05);
        assert_eq!(s.settings.dataset, "saddle");
        // the upload dataset needs an upload first
        let bad = Latent3dSettings {
            dataset: UPLOAD.into(),
            ..s.settings.clone()
        };
        assert!(
            build(&bad, &None)
                .err()
                .unwrap()
                .contains("upload a CSV first")
        );
    }

    #[test]
    fn uploads_replace_the_points() {
        let job = Latent3dJob::start();
        let mut rx = job.subscribe();
        let pts: Vec<[f64; 3]> = (0..30).map(|i| [i as f64 / 30.0, 0.5, -0.5]).collect();
        job.send(Latent3dCommand::Upload {
            name: "line.csv".into(),
            points: pts,
        });
        let s = wait_for(&mut rx, |s| s.settings.dataset == UPLOAD);
        assert_eq!(s.dataset_label, "line.csv");
        assert_eq!(s.settings.points, 30);
        assert_eq!(s.points[9], 0.1);
        // a line is one-dimensional: PCA reconstructs it exactly
        assert!(s.pca_error < 1e-12);
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
