//! The Digits Lab's training job: a real digit autoencoder (the tutorial's 784-100-50-25-2,
//! ReLU, mirrored, sigmoid output, MSE, Adam) trained step by step on MNIST or
//! Fashion-MNIST on the heavy-work budget, with the 2-D codes of a fixed test subset in
//! every snapshot so the page watches the latent map form.
//!
//! Data are read when training first needs them (never while a session is being opened).
//! Snapshots carry `codes` (n × 2) and `labels` (n) when a model exists.

use std::sync::{Arc, Mutex};

use hourglass_core::{
    architecture::Architecture,
    data::Dataset,
    glass::Activation,
    rng::Rng,
    settings::{Field, Settings},
    tensor::{
        Autoencoder, LossKind, Optimizer, Reconstruction, TrainOptions, Trainer, inference_device,
        initial_tensors, training_device,
    },
};
use hourglass_data::{
    KNOWN, Split, catalog,
    fetch::{FetchEvent, fetch},
    known, load_known,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::runtime::{Change, Context, Frame, PageJob, Progress, RunState, WireError};

/// Test images whose codes every snapshot carries (the map's dots while training).
pub const MAP_POINTS: usize = 2000;
/// Layer sizes of the tutorial's digit model (the decoder mirrors them).
pub const DIGIT_LAYERS: [usize; 5] = [784, 100, 50, 25, 2];

/// The Digits Lab's training settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DigitsSettings {
    /// `mnist` or `fashion-mnist`.
    pub dataset: String,
    /// Training images used (the first of the train split).
    pub train_size: u64,
    pub lr: f64,
    pub batch: u64,
    pub seed: u64,
}

impl Default for DigitsSettings {
    fn default() -> Self {
        DigitsSettings {
            dataset: "mnist".into(),
            train_size: 10_000,
            lr: 0.001,
            batch: 128,
            seed: 1,
        }
    }
}

impl Settings for DigitsSettings {
    fn schema() -> Vec<Field> {
        vec![
            Field::choice(
                "dataset",
                "dataset",
                &[
                    ("mnist", "MNIST digits"),
                    ("fashion-mnist", "Fashion-MNIST"),
                ],
            ),
            Field::whole("train_size", "training images", (500, 60_000))
                .offering(&[2_000.0, 10_000.0, 60_000.0]),
            Field::number("lr", "learning rate", (1e-4, 0.1))
                .log()
                .offering(&[1e-4, 3e-4, 1e-3, 3e-3, 0.01]),
            Field::whole("batch", "batch size", (8, 1024)).offering(&[32.0, 64.0, 128.0, 256.0]),
            Field::seed(),
        ]
    }
}

/// The data a model trains on and is mapped with.
struct Loaded {
    dataset: String,
    train: Dataset,
    /// A fixed subset of the test split: its codes are the map.
    map: Dataset,
    /// Its labels as f32 (for the page's colours).
    map_labels: Arc<Vec<f32>>,
}

/// A dataset download running in the background (it outlives nothing: a session that ends
/// leaves it to finish, and the files it leaves are complete or absent).
#[derive(Debug, Clone, Default)]
struct Download {
    dataset: String,
    file: String,
    /// Bytes of the current file, and its size when the mirror says.
    done: u64,
    total: Option<u64>,
    /// Files finished, of 4.
    files_done: u32,
    /// `running`, `done` or `failed`.
    state: &'static str,
    message: String,
    /// Bumped on every change, so the runner publishes it.
    version: u64,
}

pub struct DigitsJob {
    ctx: Arc<Context>,
    download: Arc<Mutex<Download>>,
    seen_download: u64,
    /// Which known datasets are on the machine (looked up again after a download).
    present: Vec<(String, bool)>,
    settings: DigitsSettings,
    data: Option<Loaded>,
    trainer: Option<Trainer>,
    /// Steps since the model started.
    steps: u64,
    last_loss: Option<f64>,
    /// Codes of the map's images, and the step they were computed at.
    codes: Option<(u64, Arc<Vec<f32>>)>,
    /// The model for inference as of a step (rebuilt when training moved on).
    inference: Option<(u64, Autoencoder)>,
}

fn architecture() -> Architecture {
    Architecture::Dense {
        layers: DIGIT_LAYERS.to_vec(),
        activation: Activation::Relu,
        output: Activation::Sigmoid,
    }
}

fn presence(ctx: &Context) -> Vec<(String, bool)> {
    KNOWN
        .iter()
        .map(|ds| {
            let found = catalog::locate(ds, ctx.data_dir.as_deref()).is_some();
            (ds.name.to_string(), found)
        })
        .collect()
}

/// The model for inference as of `steps`, kept in `cache` until training moves on: the
/// trained one, or (before training) the one the seed gives.
fn inference_model<'a>(
    cache: &'a mut Option<(u64, Autoencoder)>,
    trainer: Option<&Trainer>,
    seed: u64,
    steps: u64,
) -> Result<&'a Autoencoder, WireError> {
    if cache.as_ref().is_none_or(|(at, _)| *at != steps) {
        let m = match trainer {
            Some(t) => t.inference_model(),
            None => {
                let arch = architecture();
                Autoencoder::from_tensors(
                    &arch,
                    &initial_tensors(&arch, seed)?,
                    &inference_device(),
                )?
            }
        };
        *cache = Some((steps, m));
    }
    Ok(&cache.as_ref().expect("just built").1)
}

impl DigitsJob {
    /// Starts downloading `name` into the first data folder, in the background.
    fn start_download(&mut self, name: &str) -> Result<Change, WireError> {
        let ds = known(name).ok_or_else(|| {
            WireError::invalid(format!(
                "unknown dataset '{name}' (expected mnist or fashion-mnist)"
            ))
        })?;
        {
            let d = self.download.lock().expect("download state");
            if d.state == "running" {
                return Err(WireError::invalid(format!(
                    "{} is already downloading",
                    d.dataset
                )));
            }
        }
        let root = catalog::search_roots(self.ctx.data_dir.as_deref())
            .into_iter()
            .next()
            .map(|(_, r)| r)
            .ok_or_else(|| {
                WireError::invalid("no folder to download into: start the server with --data-dir")
            })?;
        let mirrors: Vec<String> = match &self.ctx.mirror {
            Some(m) => vec![format!("{}/{}/", m.trim_end_matches('/'), ds.name)],
            None => ds.mirrors.iter().map(|m| m.to_string()).collect(),
        };
        let state = self.download.clone();
        let update = move |f: &mut dyn FnMut(&mut Download)| {
            let mut d = state.lock().expect("download state");
            f(&mut d);
            d.version += 1;
        };
        update(&mut |d| {
            *d = Download {
                dataset: ds.name.to_string(),
                state: "running",
                version: d.version,
                ..Default::default()
            }
        });
        std::thread::Builder::new()
            .name("dataset-download".into())
            .spawn(move || {
                let dir = root.join(ds.name);
                let result = fetch(ds, &mirrors, &dir, &mut |e| match e {
                    FetchEvent::Bytes { file, done, total } => update(&mut |d| {
                        d.file = file.clone();
                        d.done = *done;
                        d.total = *total;
                    }),
                    FetchEvent::Present(_) | FetchEvent::Downloaded(_) => {
                        update(&mut |d| d.files_done += 1)
                    }
                });
                update(&mut |d| match &result {
                    Ok(()) => {
                        d.state = "done";
                        d.message = format!("{} is ready in {}", ds.name, dir.display());
                    }
                    Err(e) => {
                        d.state = "failed";
                        d.message = format!("downloading {} failed: {e:#}", ds.name);
                    }
                });
            })
            .map_err(|e| WireError::new("full", format!("cannot start a download: {e}")))?;
        Ok(Change::Kept)
    }

    fn options(&self) -> TrainOptions {
        TrainOptions {
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(self.settings.lr),
            batch_size: self.settings.batch as usize,
            epochs: usize::MAX,
            seed: self.settings.seed,
        }
    }

    /// Reads the data if the settings need other data than those loaded.
    fn ensure_data(&mut self) -> Result<(), WireError> {
        let s = &self.settings;
        if let Some(d) = &self.data
            && d.dataset == s.dataset
            && d.train.len() == (s.train_size as usize).min(60_000)
        {
            return Ok(());
        }
        let ds = known(&s.dataset)
            .ok_or_else(|| WireError::invalid(format!("unknown dataset '{}'", s.dataset)))?;
        let dir = self.ctx.data_dir.as_deref();
        let missing = |e: anyhow::Error| WireError::new("not_found", e.to_string());
        let train = load_known(ds, dir, Split::Train)
            .map_err(missing)?
            .take(s.train_size as usize);
        let test = load_known(ds, dir, Split::Test).map_err(missing)?;
        // the same subset every time: a fixed draw, not the first images
        let mut order = Rng::new(0xd161_7500).permutation(test.len());
        order.truncate(MAP_POINTS.min(test.len()));
        order.sort_unstable();
        let map = test.subset(&order);
        let map_labels = Arc::new(
            map.labels
                .as_ref()
                .map(|l| l.iter().map(|&v| v as f32).collect())
                .unwrap_or_else(|| vec![0.0; map.len()]),
        );
        self.data = Some(Loaded {
            dataset: s.dataset.clone(),
            train,
            map,
            map_labels,
        });
        Ok(())
    }

    /// Builds the model and its trainer from the seed if there is none.
    fn ensure_trainer(&mut self) -> Result<(), WireError> {
        self.ensure_data()?;
        if self.trainer.is_some() {
            return Ok(());
        }
        let arch = architecture();
        let model = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, self.settings.seed)?,
            &training_device(),
        )?;
        let samples = self.data.as_ref().map_or(0, |d| d.train.len());
        self.trainer = Some(Trainer::new(
            model,
            samples,
            &self.options(),
            Box::new(Reconstruction(LossKind::Mse)),
        )?);
        Ok(())
    }

    /// Forgets the model (it is built again from the seed when training resumes).
    fn drop_model(&mut self) {
        self.trainer = None;
        self.steps = 0;
        self.last_loss = None;
        self.codes = None;
        self.inference = None;
    }

    /// The model as it is now, for inference (see [`inference_model`]).
    fn model(&mut self) -> Result<&Autoencoder, WireError> {
        inference_model(
            &mut self.inference,
            self.trainer.as_ref(),
            self.settings.seed,
            self.steps,
        )
    }

    /// The map's codes for the model as it is now (computed once per step).
    fn map_codes(&mut self) -> Option<Arc<Vec<f32>>> {
        self.trainer.as_ref()?;
        if let Some((at, c)) = &self.codes
            && *at == self.steps
        {
            return Some(c.clone());
        }
        // the model and the map's images are separate fields: no copy of the 2,000 images
        let model = inference_model(
            &mut self.inference,
            self.trainer.as_ref(),
            self.settings.seed,
            self.steps,
        )
        .ok()?;
        let codes = Arc::new(model.encode_host(&self.data.as_ref()?.map.values, 1000));
        self.codes = Some((self.steps, codes.clone()));
        Some(codes)
    }

    /// The image the decoder makes of one code (anywhere on the plane: hovering the map).
    fn decode(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let latent = *DIGIT_LAYERS.last().expect("layers");
        let code: Vec<f32> = fields
            .get("code")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_f64)
                    .map(|x| x as f32)
                    .collect()
            })
            .filter(|c: &Vec<f32>| c.len() == latent && c.iter().all(|v| v.is_finite()))
            .ok_or_else(|| {
                WireError::invalid(format!(
                    "a decode query needs \"code\": {latent} finite numbers"
                ))
            })?;
        let image = self.model()?.decode_host(&code, 1);
        Ok(Frame::new(json!({"code": code})).with("image", Arc::new(image)))
    }

    /// Test image `index` of the map: its pixels, label, code and reconstruction.
    fn sample(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let n = self.data.as_ref().map_or(0, |d| d.map.len());
        let i = fields
            .get("index")
            .and_then(Value::as_u64)
            .map(|i| i as usize)
            .filter(|&i| i < n)
            .ok_or_else(|| {
                WireError::new(
                    "not_found",
                    format!(
                        "the map has no image {} (it has {n})",
                        fields.get("index").unwrap_or(&Value::Null)
                    ),
                )
            })?;
        let (pixels, label) = {
            let d = self.data.as_ref().expect("n > 0");
            (d.map.sample(i).to_vec(), d.map.label(i))
        };
        let model = self.model()?;
        let code = model.encode_host(&pixels, 1);
        let reconstruction = model.decode_host(&code, 1);
        Ok(
            Frame::new(json!({"index": i, "label": label, "code": code}))
                .with("image", Arc::new(pixels))
                .with("reconstruction", Arc::new(reconstruction)),
        )
    }

    /// The code and reconstruction of one image (784 values in 0..=1).
    fn encode(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let pixels: Vec<f32> = fields
            .get("pixels")
            .and_then(Value::as_array)
            .ok_or_else(|| WireError::malformed("an encode query needs \"pixels\": 784 numbers"))?
            .iter()
            .map(|v| v.as_f64().map(|x| x as f32))
            .collect::<Option<_>>()
            .ok_or_else(|| WireError::invalid("pixels must be numbers"))?;
        let n = DIGIT_LAYERS[0];
        if pixels.len() != n || pixels.iter().any(|v| !(0.0..=1.0).contains(v)) {
            return Err(WireError::invalid(format!(
                "an image is {n} values in 0–1 (got {} values)",
                pixels.len()
            )));
        }
        let model = self.model()?;
        let code = model.encode_host(&pixels, 1);
        let reconstruction = model.decode_host(&code, 1);
        let error = LossKind::Mse.host(&reconstruction, &pixels);
        Ok(Frame::new(json!({"error": error, "code": code}))
            .with("reconstruction", Arc::new(reconstruction)))
    }
}

impl PageJob for DigitsJob {
    type Settings = DigitsSettings;
    type Command = DigitsCommand;
    const NAME: &'static str = "digits";
    const TITLE: &'static str = "Digits Lab";
    /// As fast as it goes.
    const DEFAULT_SPEED: f64 = 0.0;
    const HEAVY: bool = true;
    /// The map's codes are recomputed for each snapshot: five a second is plenty.
    const PUBLISH_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

    /// Which known datasets are present on this machine.
    fn info(ctx: &Context) -> Value {
        let sets: Vec<Value> = presence(ctx)
            .into_iter()
            .map(|(name, present)| json!({"name": name, "present": present}))
            .collect();
        json!({"datasets": sets, "layers": DIGIT_LAYERS, "map_points": MAP_POINTS})
    }

    fn start(ctx: Arc<Context>) -> Result<Self, WireError> {
        Ok(DigitsJob {
            present: presence(&ctx),
            download: Arc::default(),
            seen_download: 0,
            ctx,
            settings: DigitsSettings::default(),
            data: None,
            trainer: None,
            steps: 0,
            last_loss: None,
            codes: None,
            inference: None,
        })
    }

    fn settings(&self) -> DigitsSettings {
        self.settings.clone()
    }

    fn configure(&mut self, next: DigitsSettings) -> Result<Change, WireError> {
        let a = &self.settings;
        let restart = a.dataset != next.dataset
            || a.train_size != next.train_size
            || a.seed != next.seed
            || a.batch != next.batch;
        if let Some(t) = &mut self.trainer
            && !restart
        {
            t.set_learning_rate(next.lr)?;
        }
        self.settings = next;
        if restart {
            self.drop_model();
            return Ok(Change::Restarted);
        }
        Ok(Change::Kept)
    }

    fn command(&mut self, cmd: DigitsCommand) -> Result<Change, WireError> {
        match cmd {
            DigitsCommand::Fetch { dataset } => self.start_download(&dataset),
        }
    }

    fn poll(&mut self) -> bool {
        let (version, finished) = {
            let d = self.download.lock().expect("download state");
            (d.version, d.state == "done")
        };
        if version == self.seen_download {
            return false;
        }
        self.seen_download = version;
        if finished {
            self.present = presence(&self.ctx);
        }
        true
    }

    fn reset(&mut self) -> Result<(), WireError> {
        self.drop_model();
        Ok(())
    }

    fn step(&mut self) -> Result<Option<Progress>, WireError> {
        self.ensure_trainer()?;
        let (trainer, data) = match (self.trainer.as_mut(), self.data.as_ref()) {
            (Some(t), Some(d)) => (t, d),
            _ => return Ok(None),
        };
        let s = trainer.step(&data.train).map_err(WireError::from)?;
        if s.epoch_done {
            trainer.end_epoch(None, LossKind::Mse);
        }
        self.steps += 1;
        self.last_loss = Some(s.loss);
        Ok(Some(Progress {
            x: self.steps as f64 / trainer.steps_per_epoch() as f64,
            loss: s.loss,
        }))
    }

    fn origin(&self) -> Option<Progress> {
        None
    }

    fn frame(&mut self, _run: &RunState) -> Frame {
        let per_epoch = self.trainer.as_ref().map(Trainer::steps_per_epoch);
        let mut f = Frame::new(json!({
            "model": DIGIT_LAYERS.iter().map(|n| n.to_string()).collect::<Vec<_>>().join("-"),
            "step": self.steps,
            "steps_per_epoch": per_epoch,
            "epoch": per_epoch.map(|p| self.steps as f64 / p as f64),
            "loss": self.last_loss,
            "datasets": self.present.iter().map(|(n, p)| json!({"name": n, "present": p})).collect::<Vec<_>>(),
        }));
        {
            let d = self.download.lock().expect("download state");
            if !d.state.is_empty() {
                f.set(
                    "download",
                    json!({
                        "dataset": d.dataset, "file": d.file, "done": d.done, "total": d.total,
                        "files_done": d.files_done, "files": 4, "state": d.state, "message": d.message,
                    }),
                );
            }
        }
        if let Some(codes) = self.map_codes()
            && let Some(d) = &self.data
        {
            f = f.with("codes", codes).with("labels", d.map_labels.clone());
        }
        f
    }

    fn query(&mut self, name: &str, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        match name {
            "encode" => self.encode(fields),
            "decode" => self.decode(fields),
            "sample" => self.sample(fields),
            _ => Err(WireError::new(
                "unknown_query",
                format!(
                    "the Digits Lab answers no query '{name}' (only 'encode', 'decode' and 'sample')"
                ),
            )),
        }
    }
}

/// The Digits Lab's own messages: `{"type": "fetch", "dataset": "mnist"}` downloads a
/// dataset that is not on the machine (progress in the snapshots' `download`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum DigitsCommand {
    Fetch { dataset: String },
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::runtime::{
        Budget,
        test_support::{Probe, wait_for},
    };

    /// The folder with mnist/ and fashion-mnist/: $HOURGLASS_TEST_DATA or ../shared/datasets.
    fn test_data() -> PathBuf {
        if let Some(d) = std::env::var_os("HOURGLASS_TEST_DATA") {
            return PathBuf::from(d);
        }
        let d = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets");
        assert!(d.is_dir(), "test data not found: set HOURGLASS_TEST_DATA");
        d
    }

    fn probe(data_dir: PathBuf) -> Probe {
        let ctx = Arc::new(Context {
            data_dir: Some(data_dir),
            models_dir: std::env::temp_dir(),
            budget: Budget::new(2),
            mirror: None,
        });
        Probe::with(crate::runtime::spawn::<DigitsJob>(ctx).expect("the job starts"))
    }

    #[test]
    fn trains_on_mnist_and_the_map_codes_move() {
        let p = probe(test_data());
        let hello = p.link.greeting();
        assert_eq!(hello["info"]["layers"], json!([784, 100, 50, 25, 2]));
        assert_eq!(
            hello["info"]["datasets"][0],
            json!({"name": "mnist", "present": true})
        );
        assert!(p.latest().arrays.is_empty(), "no model before training");
        p.send(r#"{"type":"configure","train_size":1000,"batch":50}"#);
        p.send(r#"{"type":"step"}"#);
        let first = wait_for(&p, |f| f.header["step"] == 1);
        let codes = |f: &Frame| {
            f.arrays
                .iter()
                .find(|(n, _)| *n == "codes")
                .unwrap()
                .1
                .clone()
        };
        let labels = &first.arrays.iter().find(|(n, _)| *n == "labels").unwrap().1;
        assert_eq!(codes(&first).len(), 2 * MAP_POINTS);
        assert_eq!(labels.len(), MAP_POINTS);
        assert!(labels.iter().all(|&l| (0.0..=9.0).contains(&l)));
        p.send(r#"{"type":"play"}"#);
        let later = wait_for(&p, |f| f.header["step"].as_u64() >= Some(60));
        assert_eq!(later.header["steps_per_epoch"], 20);
        assert!(later.header["epoch"].as_f64().unwrap() >= 3.0);
        let losses = later.header["run"]["losses"].as_array().unwrap();
        let (l0, l1) = (
            losses[0][1].as_f64().unwrap(),
            losses.last().unwrap()[1].as_f64().unwrap(),
        );
        assert!(l1 < 0.8 * l0, "loss {l0} -> {l1}");
        assert_ne!(codes(&later), codes(&first));
        // the code of one image asked for on its own is the one the map shows for it
        p.send(r#"{"type":"pause"}"#);
        let paused = wait_for(&p, |f| f.header["run"]["training"] == false);
        let step = paused.header["step"].as_u64();
        let now = wait_for(&p, |f| {
            f.header["step"].as_u64() == step && !f.arrays.is_empty()
        });
        let ds =
            hourglass_data::load_known(known("mnist").unwrap(), Some(&test_data()), Split::Test)
                .unwrap();
        let mut order = Rng::new(0xd161_7500).permutation(ds.len());
        order.truncate(MAP_POINTS);
        order.sort_unstable();
        let pixels: Vec<f32> = ds.sample(order[0]).to_vec();
        p.send(&json!({"type": "query", "id": 5, "query": "encode", "pixels": pixels}).to_string());
        let crate::runtime::Outgoing::Frame(answer) = p.reply() else {
            panic!("no answer")
        };
        let code: Vec<f64> = serde_json::from_value(answer.header["code"].clone()).unwrap();
        let map = codes(&now);
        assert!(
            (code[0] - map[0] as f64).abs() < 1e-5 && (code[1] - map[1] as f64).abs() < 1e-5,
            "{code:?} vs {:?}",
            &map[..2]
        );
        assert_eq!(answer.arrays[0].1.len(), 784);
        assert!(answer.header["error"].as_f64().unwrap() < 0.2);
        // decoding that code gives back the reconstruction (the page's hover path)
        p.send(&json!({"type": "query", "id": 7, "query": "decode", "code": code}).to_string());
        let crate::runtime::Outgoing::Frame(image) = p.reply() else {
            panic!("no answer")
        };
        let (a, b) = (&image.arrays[0].1, &answer.arrays[0].1);
        assert!(a.iter().zip(b.iter()).all(|(x, y)| (x - y).abs() < 1e-5));
        // a dot of the map: its image, label, and the same code
        p.send(r#"{"type":"query","id":9,"query":"sample","index":0}"#);
        let crate::runtime::Outgoing::Frame(dot) = p.reply() else {
            panic!("no answer")
        };
        assert_eq!(dot.arrays[0].1.as_slice(), pixels.as_slice());
        assert_eq!(
            dot.header["label"].as_u64(),
            ds.label(order[0]).map(u64::from)
        );
        assert_eq!(dot.header["code"], answer.header["code"]);
        let bad = p.answer_error(r#"{"type":"query","id":10,"query":"sample","index":2000}"#);
        assert!(bad.contains("no image 2000"), "{bad}");
        let bad = p.answer_error(r#"{"type":"query","id":8,"query":"decode","code":[1]}"#);
        assert!(bad.contains("2 finite numbers"), "{bad}");
        let bad = p.answer_error(r#"{"type":"query","id":6,"query":"encode","pixels":[1,2]}"#);
        assert!(bad.contains("784"), "{bad}");
        // the learning rate changes between steps; a new seed starts again
        p.send(r#"{"type":"configure","lr":0.0003}"#);
        wait_for(&p, |f| f.header["settings"]["lr"] == 0.0003);
        p.send(r#"{"type":"configure","seed":2}"#);
        let r = wait_for(&p, |f| f.header["step"] == 0);
        assert_eq!(r.header["run"]["training"], false);
        assert!(r.arrays.is_empty());
    }

    #[test]
    fn without_the_dataset_training_stops_and_says_where_it_looked() {
        let empty = std::env::temp_dir().join("hourglass-no-datasets-here");
        std::fs::create_dir_all(&empty).unwrap();
        let p = probe(empty.clone());
        p.send(r#"{"type":"step"}"#);
        let s = wait_for(&p, |f| f.header["run"]["notice"].is_object());
        let text = s.header["run"]["notice"]["text"].as_str().unwrap();
        // found elsewhere on this machine (the user cache), or named where it was looked for
        assert!(
            text.contains(&empty.join("mnist").display().to_string()),
            "{text}"
        );
        assert_eq!(s.header["run"]["training"], false);
    }
}
