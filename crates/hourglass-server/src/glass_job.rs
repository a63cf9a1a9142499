//! The glass box's training job: a worker thread that owns the model, reads commands between
//! epochs, and publishes the latest snapshot. Training never waits for a page.

use std::{
    sync::{Arc, mpsc},
    thread,
    time::{Duration, Instant},
};

use hourglass_core::{
    data::PATTERNS,
    glass::{GLASS_BOTTLENECK, GlassBox, Loss},
};
use serde::Serialize;
use tokio::sync::watch;

use crate::pace::Pace;

/// Default training pace, in epochs per second (slow enough to watch it learn).
pub const DEFAULT_SPEED: f64 = 200.0;
/// Largest pace accepted.
pub const MAX_SPEED: f64 = 100_000.0;
/// Points kept in the loss history (older ones are thinned out).
const HISTORY: usize = 600;
/// Snapshots are published at most this often while training.
const PUBLISH_EVERY: Duration = Duration::from_millis(15);

/// A command from the page, already checked.
#[derive(Debug, Clone, PartialEq)]
pub enum GlassCommand {
    SetInput([f64; 9]),
    Train,
    Stop,
    /// One epoch.
    Step,
    Reset(u64),
    SetLearningRate(f64),
    SetMomentum(f64),
    SetSpeed(f64),
}

/// One layer's parameters in a snapshot.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct LayerSnapshot {
    pub inputs: usize,
    pub outputs: usize,
    /// Row-major outputs × inputs.
    pub weights: Vec<f64>,
    pub biases: Vec<f64>,
}

/// Everything the glass box page shows, at one moment.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct GlassSnapshot {
    pub epoch: u64,
    /// Mean per-pattern error over the last epoch (null before training).
    pub loss: Option<f64>,
    pub training: bool,
    pub learning_rate: f64,
    pub momentum: f64,
    pub speed: f64,
    pub seed: u64,
    pub params: usize,
    pub sizes: Vec<usize>,
    pub layers: Vec<LayerSnapshot>,
    pub input: [f64; 9],
    /// Activations of every layer for the current input (hidden, bottleneck, hidden, output).
    pub activations: Vec<Vec<f64>>,
    pub output: Vec<f64>,
    pub bottleneck: Vec<f64>,
    /// Σ (output − input)² for the current input.
    pub error: f64,
    /// Error of each of the 12 training patterns.
    pub pattern_errors: Vec<f64>,
    /// For each bottleneck neuron, the patterns that drive it highest (best first).
    pub top_patterns: Vec<Vec<usize>>,
    /// (epoch, loss) pairs, thinned to a bounded length.
    pub loss_history: Vec<(u64, f64)>,
}

struct Worker {
    glass: GlassBox,
    input: [f64; 9],
    training: bool,
    speed: f64,
    history: Vec<(u64, f64)>,
    /// Keep every `stride`-th epoch in the history.
    stride: u64,
}

impl Worker {
    fn apply(&mut self, cmd: GlassCommand) {
        match cmd {
            GlassCommand::SetInput(x) => self.input = x,
            GlassCommand::Train => self.training = true,
            GlassCommand::Stop => self.training = false,
            GlassCommand::Step => {
                self.training = false;
                self.epoch();
            }
            GlassCommand::Reset(seed) => {
                self.glass.reset(seed);
                self.history.clear();
                self.stride = 1;
            }
            // values are checked before they are sent
            GlassCommand::SetLearningRate(lr) => self.glass.optimizer.learning_rate = lr,
            GlassCommand::SetMomentum(mu) => self.glass.optimizer.momentum = mu,
            GlassCommand::SetSpeed(s) => self.speed = s,
        }
    }

    fn epoch(&mut self) {
        let loss = self.glass.train_epoch();
        let epoch = self.glass.epoch;
        if epoch.is_multiple_of(self.stride) {
            self.history.push((epoch, loss));
            if self.history.len() >= HISTORY {
                // thin out: keep every other point, and record half as often from now on
                let kept: Vec<(u64, f64)> = self.history.iter().copied().step_by(2).collect();
                self.history = kept;
                self.stride *= 2;
            }
        }
    }

    fn snapshot(&self) -> GlassSnapshot {
        let net = &self.glass.net;
        let trace = net.forward(&self.input).expect("9 inputs");
        let output = trace.output().to_vec();
        let error = Loss::SumSquared.value(&output, &self.input);
        let bottleneck = trace.post[GLASS_BOTTLENECK].clone();
        let codes: Vec<Vec<f64>> = PATTERNS
            .iter()
            .map(|p| net.forward(p).expect("9 inputs").post[GLASS_BOTTLENECK].clone())
            .collect();
        let top_patterns = (0..bottleneck.len())
            .map(|k| {
                let mut order: Vec<usize> = (0..PATTERNS.len()).collect();
                order.sort_by(|&a, &b| codes[b][k].total_cmp(&codes[a][k]));
                order.truncate(3);
                order
            })
            .collect();
        GlassSnapshot {
            epoch: self.glass.epoch,
            loss: self.glass.last_epoch_loss,
            training: self.training,
            learning_rate: self.glass.optimizer.learning_rate,
            momentum: self.glass.optimizer.momentum,
            speed: self.speed,
            seed: self.glass.seed(),
            params: net.param_count(),
            sizes: net.sizes(),
            layers: net
                .layers
                .iter()
                .map(|l| LayerSnapshot {
                    inputs: l.inputs,
                    outputs: l.outputs,
                    weights: l.weights.clone(),
                    biases: l.biases.clone(),
                })
                .collect(),
            input: self.input,
            activations: trace.post.clone(),
            output,
            bottleneck,
            error,
            pattern_errors: self.glass.pattern_errors(),
            top_patterns,
            loss_history: self.history.clone(),
        }
    }
}

/// A running glass-box job. Dropping it stops the worker.
pub struct GlassJob {
    commands: mpsc::Sender<GlassCommand>,
    snapshots: watch::Receiver<Arc<GlassSnapshot>>,
}

impl GlassJob {
    /// Starts a worker with a fresh glass box (He init from `seed`, input: the first pattern).
    pub fn start(seed: u64) -> Self {
        let (tx, rx) = mpsc::channel::<GlassCommand>();
        let mut worker = Worker {
            glass: GlassBox::new(seed),
            input: PATTERNS[0],
            training: false,
            speed: DEFAULT_SPEED,
            history: Vec::new(),
            stride: 1,
        };
        let (snap_tx, snap_rx) = watch::channel(Arc::new(worker.snapshot()));
        thread::Builder::new()
            .name("glass-job".into())
            .spawn(move || run(&mut worker, rx, snap_tx))
            .expect("spawn the glass worker thread");
        GlassJob {
            commands: tx,
            snapshots: snap_rx,
        }
    }

    /// Sends a command; false if the worker has ended.
    pub fn send(&self, cmd: GlassCommand) -> bool {
        self.commands.send(cmd).is_ok()
    }

    /// A receiver of the latest snapshot.
    pub fn subscribe(&self) -> watch::Receiver<Arc<GlassSnapshot>> {
        self.snapshots.clone()
    }
}

fn run(w: &mut Worker, rx: mpsc::Receiver<GlassCommand>, out: watch::Sender<Arc<GlassSnapshot>>) {
    let mut last_publish = Instant::now();
    let mut dirty = false;
    let mut pace = Pace::new(w.speed);
    loop {
        // wait for a command when idle; poll between epochs while training
        let first = if w.training {
            match rx.try_recv() {
                Ok(c) => Some(c),
                Err(mpsc::TryRecvError::Empty) => None,
                Err(mpsc::TryRecvError::Disconnected) => return,
            }
        } else {
            match rx.recv() {
                Ok(c) => Some(c),
                Err(_) => return,
            }
        };
        let was_training = w.training;
        let old_speed = w.speed;
        for cmd in first.into_iter().chain(rx.try_iter()) {
            w.apply(cmd);
            dirty = true;
        }
        if w.training && (!was_training || w.speed != old_speed) {
            pace.restart(w.speed);
        }
        if w.training && pace.run(Duration::from_millis(5), || w.epoch()) > 0 {
            dirty = true;
        }
        if dirty && (!w.training || last_publish.elapsed() >= PUBLISH_EVERY) {
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
        rx: &mut watch::Receiver<Arc<GlassSnapshot>>,
        pred: impl Fn(&GlassSnapshot) -> bool,
    ) -> Arc<GlassSnapshot> {
        crate::test_support::wait_for(
            rx,
            Duration::from_secs(20),
            |s| format!("epoch {}", s.epoch),
            pred,
        )
    }

    #[test]
    fn trains_stops_steps_and_resets() {
        let job = GlassJob::start(1);
        let mut rx = job.subscribe();
        assert_eq!(rx.borrow().params, 168);
        job.send(GlassCommand::SetSpeed(MAX_SPEED));
        job.send(GlassCommand::Train);
        let s = wait_for(&mut rx, |s| s.epoch >= 500);
        assert!(s.training);
        job.send(GlassCommand::Stop);
        let stopped = wait_for(&mut rx, |s| !s.training);
        thread::sleep(Duration::from_millis(50));
        assert_eq!(rx.borrow().epoch, stopped.epoch, "Stop freezes the epoch");
        job.send(GlassCommand::Step);
        wait_for(&mut rx, |s| s.epoch == stopped.epoch + 1);
        job.send(GlassCommand::SetInput(PATTERNS[10]));
        job.send(GlassCommand::Reset(5));
        let r = wait_for(&mut rx, |s| s.epoch == 0);
        assert_eq!(r.input, PATTERNS[10], "Reset keeps the input");
        assert_eq!(r.seed, 5);
        assert!(r.loss_history.is_empty());
    }

    #[test]
    fn learning_rate_changes_take_effect_while_training() {
        let job = GlassJob::start(2);
        let mut rx = job.subscribe();
        job.send(GlassCommand::Train);
        wait_for(&mut rx, |s| s.epoch > 2);
        job.send(GlassCommand::SetLearningRate(0.4));
        let s = wait_for(&mut rx, |s| s.learning_rate == 0.4);
        assert!(s.training);
    }

    #[test]
    fn history_stays_bounded() {
        let job = GlassJob::start(3);
        let mut rx = job.subscribe();
        job.send(GlassCommand::SetSpeed(MAX_SPEED));
        job.send(GlassCommand::Train);
        let s = wait_for(&mut rx, |s| s.epoch > 5000);
        assert!(s.loss_history.len() < HISTORY);
        assert!(s.loss_history.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
