//! The Studio's questions (`StudioQuery`), and looking inside: a layer's activations for one image, the first layer's filters, a 2-D
//! model's map of codes, and two models compared on the same test images.

use super::*;

/// What the Model Studio answers, `{"type": "query", "id": n, "query": name, …fields}`. (A
/// question without fields is an empty struct variant: serde lets a unit variant of an
/// internally tagged enum through with any fields.)
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum StudioQuery {
    /// What the settings with `settings` (a patch) applied would build: layers, parameters,
    /// or the sentence saying why not. Changes nothing.
    Check { settings: Map<String, Value> },
    /// Every layer's activations for an image (`pixels`) or grid image `index`.
    Activations {
        pixels: Option<Vec<f32>>,
        index: Option<usize>,
    },
    /// The validation images of the reconstruction grid, and their reconstructions.
    Grid {},
    /// The first layer's weights as images.
    Filters {},
    /// Two models (`"current"` or saved names) on the same test images.
    Compare { a: String, b: String },
    /// A 2-D model's codes of the validation images.
    Codes {},
}

pub(super) const MAX_FILTER_IMAGES: usize = 64;
/// Names of the activation arrays of an `activations` answer, layer by layer.
pub(super) const LAYER_ARRAYS: [&str; 24] = [
    "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10", "a11", "a12", "a13", "a14",
    "a15", "a16", "a17", "a18", "a19", "a20", "a21", "a22", "a23",
];

impl StudioJob {
    pub(super) fn answer(&mut self, query: StudioQuery) -> Result<Frame, WireError> {
        use StudioQuery as Q;
        match query {
            Q::Check { settings } => {
                let next = self.settings.patched(&settings).map_err(WireError::from)?;
                Ok(Frame::new(summary(&next, self.input_of(&next))))
            }
            Q::Activations { pixels, index } => self.activations(pixels, index),
            Q::Grid {} => {
                let mut f = Frame::new(json!({"weights_version": self.weights_version}));
                if let Some(g) = self.data.as_ref().map(|d| &d.grid) {
                    f = f.with("grid", g.clone());
                }
                if let Some(r) = &self.recon {
                    f = f.with("recon", r.clone());
                }
                Ok(f)
            }
            Q::Filters {} => self.filters(),
            Q::Compare { a, b } => self.compare(&a, &b),
            Q::Codes {} => self.codes(),
        }
    }

    pub(super) fn activations(
        &mut self,
        pixels: Option<Vec<f32>>,
        index: Option<usize>,
    ) -> Result<Frame, WireError> {
        let features = self.arch.input_size();
        let input = if let Some(p) = pixels {
            // a drawing is grey: a colour model sees it in three equal channels
            let grey = fields::pixels(p)?;
            grey.repeat(features / PIXELS)
        } else {
            if index.is_none() {
                return Err(WireError::invalid(
                    "\"activations\" needs \"pixels\" (an image) or \"index\" (a grid image)",
                ));
            }
            let i = whole("index", index, (0, GRID - 1), 0)?;
            self.ensure_data()?;
            let d = self.data.as_ref().expect("just read");
            d.grid
                .get(i * features..(i + 1) * features)
                .ok_or_else(|| WireError::invalid(format!("there is no grid image {i}")))?
                .to_vec()
        };
        let layers = self.model()?.layer_activations(&input)?;
        let mut f = Frame::new(json!({
            "layers": layers.iter().enumerate().map(|(i, l)| json!({"name": l.name, "shape": l.shape, "array": LAYER_ARRAYS[i]})).collect::<Vec<_>>(),
        }));
        f = f.with("input", Arc::new(input));
        for (i, l) in layers.into_iter().enumerate().take(LAYER_ARRAYS.len()) {
            f = f.with(LAYER_ARRAYS[i], Arc::new(l.values));
        }
        Ok(f)
    }

    /// A 2-D model's codes of (up to 2,000 of) the validation images, with their labels: the
    /// map an input is placed on.
    pub(super) fn codes(&mut self) -> Result<Frame, WireError> {
        let latent = self.arch.latent_size();
        if latent != 2 {
            return Err(WireError::invalid(format!(
                "the code has {latent} numbers; the map is drawn for codes of 2"
            )));
        }
        self.ensure_data()?;
        let d = self.data.as_ref().expect("just read");
        let from = if d.val.is_empty() { &d.train } else { &d.val };
        let n = from.len().min(2_000);
        let images = from.values[..n * from.features].to_vec();
        let labels: Vec<f32> = from
            .labels
            .as_ref()
            .map(|l| l[..n].iter().map(|&c| c as f32).collect())
            .unwrap_or_default();
        let codes = self.model()?.encode_host(&images, 1024);
        Ok(
            Frame::new(json!({"count": n, "weights_version": self.weights_version}))
                .with("codes", Arc::new(codes))
                .with("labels", Arc::new(labels)),
        )
    }

    /// A model to compare: `current` (the one here) or a model of the models folder, with its
    /// name, shape, epochs and loss history.
    pub(super) fn comparable(&mut self, name: &str) -> Result<(Value, Autoencoder), WireError> {
        if name == "current" {
            let info = json!({"name": "this model", "describe": self.arch.describe(),
                              "epochs": self.epochs_done(), "history": self.loss_history()});
            return Ok((info, self.model()?.clone()));
        }
        let ck =
            self.ctx.models.read(name).map_err(|e| {
                WireError::new("not_found", format!("cannot compare '{name}': {e}"))
            })?;
        let inputs = ck.config.architecture.input_size();
        if inputs != self.arch.input_size() {
            return Err(WireError::invalid(format!(
                "cannot compare '{name}': it takes {inputs} values per sample, and this model's images have {}",
                self.arch.input_size()
            )));
        }
        let model =
            Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())?;
        let info = json!({"name": name.strip_suffix(EXTENSION).unwrap_or(name),
                          "describe": ck.config.architecture.describe(),
                          "epochs": ck.config.epochs_trained, "history": ck.config.history});
        Ok((info, model))
    }

    /// Two models side by side on the test set of the Studio's dataset: their metrics, their
    /// loss curves, and the same 16 test images reconstructed by each.
    pub(super) fn compare(&mut self, a: &str, b: &str) -> Result<Frame, WireError> {
        let (info_a, model_a) = self.comparable(a)?;
        let (info_b, model_b) = self.comparable(b)?;
        let dataset = self.settings.dataset.clone();
        let test = self.test_set()?;
        let shown = GRID.min(test.len());
        let images: Vec<f32> = test.values[..shown * test.features].to_vec();
        let mut out = Vec::new();
        let mut recons = Vec::new();
        for (mut info, model) in [(info_a, model_a), (info_b, model_b)] {
            let e = evaluate(&model, test, 512)?;
            info["metrics"] = json!({"mse": e.mse, "bce": e.bce,
                "psnr": e.psnr.is_finite().then_some(e.psnr), "ssim": e.ssim, "samples": e.samples});
            out.push(info);
            recons.push(model.reconstruct_host(&images, shown.max(1)));
        }
        let mut r = recons.into_iter();
        let set = self.held_out();
        Ok(
            Frame::new(json!({"models": out, "dataset": dataset, "set": set,
                              "channels": input_shape(&self.arch)[0]}))
            .with("images", Arc::new(images))
            .with("a", Arc::new(r.next().expect("two")))
            .with("b", Arc::new(r.next().expect("two"))),
        )
    }

    /// The first layer's weights as pictures: a dense model's first rows (28×28 each), a conv
    /// model's first kernels (k×k each). A colour model's are summed over the three channels
    /// (how a unit answers grey light), so each is one picture.
    pub(super) fn filters(&mut self) -> Result<Frame, WireError> {
        let tensors = match &self.trainer {
            Some(t) => t.model().to_tensors(),
            None => initial_tensors(&self.arch, self.settings.seed)?,
        };
        let first = tensors
            .iter()
            .find(|t| t.name == "encoder.0.weight" || t.name == "encoder.conv.0.weight")
            .ok_or_else(|| WireError::invalid("the model has no first layer"))?;
        let channels = input_shape(&self.arch)[0];
        let (count, h, w) = match first.shape[..] {
            [out, _] => (out, 28, 28),
            [out, _, k, _] => (out, k, k),
            _ => {
                return Err(WireError::invalid(
                    "the first layer has an unexpected shape",
                ));
            }
        };
        let shown = count.min(MAX_FILTER_IMAGES);
        let per = first.values.len() / count.max(1);
        let plane = h * w;
        let values: Vec<f32> = first.values[..shown * per]
            .chunks(per)
            .flat_map(|f| {
                (0..plane).map(move |i| (0..per / plane).map(|c| f[c * plane + i]).sum::<f32>())
            })
            .collect();
        Ok(Frame::new(json!({
            "count": count, "shown": shown, "height": h, "width": w, "channels": channels,
            "version": self.weights_version,
        }))
        .with("filters", Arc::new(values)))
    }
}
