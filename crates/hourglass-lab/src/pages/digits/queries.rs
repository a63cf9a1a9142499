//! What the page asks of the model: encode, decode, sample, resample and prior (a VAE),
//! iterate to a fixed point, basins, interpolate, the decoded grid, images, compare.

use hourglass_core::fixed;

use super::*;

/// What the Digits Lab answers, `{"type": "query", "id": n, "query": name, …fields}`. A
/// code is given as `code` (the latent numbers) or `at` (a spot on the map).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum DigitsQuery {
    /// The code and reconstruction of one image (its values in 0..=1: 784 for a digit).
    Encode { pixels: Vec<f32> },
    /// The image the decoder makes of one code.
    Decode {
        code: Option<Vec<f32>>,
        at: Option<Vec<f32>>,
    },
    /// Map image `index`: pixels, label, code, position and reconstruction.
    Sample { index: usize },
    /// A VAE: a sample of the drawn digit's code distribution.
    Resample { pixels: Vec<f32>, seed: Option<u64> },
    /// `count` codes drawn from the prior, decoded.
    Prior {
        count: Option<usize>,
        seed: Option<u64>,
    },
    /// x → decode(encode(x)) from an image (`pixels`) or a code until it stops moving.
    Iterate {
        pixels: Option<Vec<f32>>,
        code: Option<Vec<f32>>,
        at: Option<Vec<f32>>,
        steps: Option<usize>,
        eps: Option<f64>,
    },
    /// Where every cell of a grid over `bounds` (x0, x1, y0, y1) comes to rest.
    Basins {
        grid: Option<usize>,
        iterations: Option<usize>,
        bounds: Vec<f32>,
    },
    /// Images along the straight line from code `a` to code `b`.
    Interpolate {
        a: Vec<f32>,
        b: Vec<f32>,
        steps: Option<usize>,
    },
    /// The decoder's image at the centre of every cell of a grid over `bounds`.
    Grid {
        grid: Option<usize>,
        bounds: Vec<f32>,
    },
    /// The pixels of map images (thumbnails).
    Images { indices: Vec<usize> },
    /// One image through every shipped model of the dataset.
    Compare { pixels: Vec<f32> },
}

impl DigitsJob {
    pub(super) fn answer(&mut self, q: DigitsQuery) -> Result<Frame, WireError> {
        use DigitsQuery as Q;
        match q {
            Q::Encode { pixels } => self.encode(pixels),
            Q::Decode { code, at } => self.decode(code, at),
            Q::Sample { index } => self.sample(index),
            Q::Resample { pixels, seed } => self.resample(pixels, seed),
            Q::Prior { count, seed } => self.prior(count, seed),
            Q::Iterate {
                pixels,
                code,
                at,
                steps,
                eps,
            } => self.iterate(pixels, code, at, steps, eps),
            Q::Basins {
                grid,
                iterations,
                bounds,
            } => self.basins(grid, iterations, bounds),
            Q::Interpolate { a, b, steps } => self.interpolate(a, b, steps),
            Q::Grid { grid, bounds } => self.grid(grid, bounds),
            Q::Images { indices } => self.images(indices),
            Q::Compare { pixels } => self.compare(pixels),
        }
    }

    /// A code from `code` (latent numbers) or `at` (a spot on the map).
    pub(super) fn code_from(
        &mut self,
        code: Option<Vec<f32>>,
        at: Option<Vec<f32>>,
    ) -> Result<Vec<f32>, WireError> {
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        match (code, at) {
            (_, Some(at)) => {
                let at = numbers("at", at, Some(2))?;
                Ok(Self::code_at(codes, latent, [at[0], at[1]]))
            }
            (Some(code), None) => numbers("code", code, Some(latent)),
            (None, None) => Err(WireError::invalid(
                "give a code as \"code\" (its numbers) or \"at\" (a spot on the map)",
            )),
        }
    }

    /// The image the decoder makes of one code (anywhere on the plane: hovering the map).
    fn decode(&mut self, code: Option<Vec<f32>>, at: Option<Vec<f32>>) -> Result<Frame, WireError> {
        let code = self.code_from(code, at)?;
        let (model, codes) = self.parts()?;
        let image = model.decode_host(&code, 1);
        let at = Self::position(codes, &code);
        Ok(Frame::new(json!({"code": code, "position": at})).with("image", Arc::new(image)))
    }

    /// Map image `index`: its pixels, label, code, position and reconstruction.
    fn sample(&mut self, i: usize) -> Result<Frame, WireError> {
        self.ensure_codes()?;
        let n = self.map.as_ref().map_or(0, |d| d.images.len());
        if i >= n {
            return Err(WireError::new(
                "not_found",
                format!("the map has no image {i} (it has {n})"),
            ));
        }
        let (pixels, label) = {
            let d = &self.map.as_ref().expect("n > 0").images;
            (d.sample(i).to_vec(), d.label(i))
        };
        let (model, codes) = self.parts()?;
        let code = model.encode_host(&pixels, 1);
        let reconstruction = model.decode_host(&code, 1);
        let error = LossKind::Mse.host(&reconstruction, &pixels);
        let at = Self::position(codes, &code);
        Ok(Frame::new(
            json!({"index": i, "label": label, "code": code, "position": at, "error": error}),
        )
        .with("image", Arc::new(pixels))
        .with("reconstruction", Arc::new(reconstruction)))
    }

    /// The code and reconstruction of one image (its values in 0..=1: 784 for a digit).
    fn encode(&mut self, pixels: Vec<f32>) -> Result<Frame, WireError> {
        let pixels = self.image(pixels)?;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        // a VAE's μ and σ come from one pass; another model's code is a point
        let (code, sigma) = match Self::gaussian(model, &pixels) {
            Some((mu, sigma)) => (mu, Some(sigma)),
            None => (model.encode_host(&pixels, 1), None),
        };
        let reconstruction = model.decode_host(&code, 1);
        let error = LossKind::Mse.host(&reconstruction, &pixels);
        let at = Self::position(codes, &code);
        let mut header = json!({"error": error, "code": code, "position": at});
        if let Some(sigma) = sigma {
            // a VAE's code is a distribution: its 1-σ ellipse on an unprojected 2-D map
            if code.len() == 2 && codes.is_none_or(|c| c.projection.is_none()) {
                let ellipse: Vec<[f32; 2]> = (0..48)
                    .map(|k| {
                        let t = k as f32 / 48.0 * std::f32::consts::TAU;
                        [code[0] + sigma[0] * t.cos(), code[1] + sigma[1] * t.sin()]
                    })
                    .collect();
                header["ellipse"] = json!(ellipse);
            }
            header["sigma"] = json!(sigma);
        }
        Ok(Frame::new(header).with("reconstruction", Arc::new(reconstruction)))
    }

    /// A VAE's code distribution for one image: μ and σ (None for other models).
    pub(super) fn gaussian(model: &Autoencoder, pixels: &[f32]) -> Option<(Vec<f32>, Vec<f32>)> {
        (model.arch.code() == Code::Gaussian).then(|| {
            let mut stats = model.encode_gaussian_host(pixels, 1);
            let sigma = stats
                .split_off(stats.len() / 2)
                .iter()
                .map(|v| (0.5 * v).exp())
                .collect();
            (stats, sigma)
        })
    }

    /// A VAE: decodes a sample z = μ + σ·ε of the drawn digit's code distribution (ε from
    /// `seed`).
    fn resample(&mut self, pixels: Vec<f32>, seed: Option<u64>) -> Result<Frame, WireError> {
        let pixels = self.image(pixels)?;
        let seed = fields::seed(seed)?;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let (mu, sigma) = Self::gaussian(model, &pixels).ok_or_else(|| {
            WireError::invalid(
                "this model is not a VAE: its code is a point, with nothing to sample",
            )
        })?;
        let code = latent::resample(&mu, &sigma, seed);
        let image = model.decode_host(&code, 1);
        let at = Self::position(codes, &code);
        Ok(Frame::new(json!({"code": code, "position": at})).with("image", Arc::new(image)))
    }

    /// Decodes `count` codes drawn from the prior N(0, I) (`seed`): a VAE's samples.
    fn prior(&mut self, count: Option<usize>, seed: Option<u64>) -> Result<Frame, WireError> {
        let count = whole("count", count, (1, 64), 16)?;
        let seed = fields::seed(seed)?;
        let model = self.model()?;
        let latent = model.arch.latent_size();
        let codes = latent::prior_codes(count, latent, seed);
        let images = model.decode_host(&codes, 64);
        Ok(Frame::new(
            json!({"count": count, "seed": seed, "vae": model.arch.code() == Code::Gaussian}),
        )
        .with("images", Arc::new(images)))
    }

    /// How far apart codes of this model are: the diagonal of the codes' 1–99% box.
    pub(super) fn code_scale(codes: Option<&MapCodes>) -> f32 {
        codes
            .map(|c| {
                c.ranges
                    .iter()
                    .map(|[a, b]| (b - a) * (b - a))
                    .sum::<f32>()
                    .sqrt()
            })
            .filter(|s| s.is_finite() && *s > 0.0)
            .unwrap_or(1.0)
    }

    /// x → decode(encode(x)) again and again from an image (or a code), until the code moves
    /// less than `eps` × the codes' spread (a fixed point) or `steps` rounds have run.
    fn iterate(
        &mut self,
        pixels: Option<Vec<f32>>,
        code: Option<Vec<f32>>,
        at: Option<Vec<f32>>,
        steps: Option<usize>,
        eps: Option<f64>,
    ) -> Result<Frame, WireError> {
        let steps = whole("steps", steps, (1, MAX_ITERATIONS), 100)?;
        let eps = eps.unwrap_or(1e-4);
        if !(1e-9..=0.1).contains(&eps) {
            return Err(WireError::invalid("\"eps\" must be in 1e-9–0.1"));
        }
        let start = match pixels {
            Some(p) => {
                let p = self.image(p)?;
                self.ensure_codes()?;
                self.parts()?.0.encode_host(&p, 1)
            }
            None => self.code_from(code, at)?,
        };
        let (model, codes) = self.parts()?;
        let tol = eps as f32 * Self::code_scale(codes);
        let mut images = Vec::new();
        let walk = fixed::walk(
            start,
            steps,
            tol,
            |z| {
                let x = model.decode_host(z, 1);
                let next = model.encode_host(&x, 1);
                (x, next)
            },
            |x| images.extend_from_slice(x),
        );
        let positions: Vec<[f32; 2]> = walk.path.iter().map(|c| Self::position(codes, c)).collect();
        Ok(Frame::new(json!({
            "codes": walk.path, "positions": positions, "fixed": walk.fixed,
            "iterations": walk.path.len() - 1, "tolerance": tol,
        }))
        .with("images", Arc::new(images)))
    }

    /// The basin map: every cell of an n × n grid over `bounds` (x0, x1, y0, y1 on the map)
    /// iterated through encode(decode(z)) in one batch per round, each cell's end grouped
    /// with the fixed point it reached.
    fn basins(
        &mut self,
        grid: Option<usize>,
        iterations: Option<usize>,
        bounds: Vec<f32>,
    ) -> Result<Frame, WireError> {
        let t0 = self.ctx.clock.now();
        let most = basin_grid_limit(self.shape().iter().product());
        let n = whole("grid", grid, (2, most), 64.min(most))?;
        let rounds = whole("iterations", iterations, (1, MAX_ITERATIONS), 50)?;
        let b = Self::bounds(bounds)?;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        let scale = Self::code_scale(codes);
        let z = Self::grid_codes(codes, latent, &b, n);
        // a cell settles when a round moves it less than 0.01% of the codes' spread, and
        // joins the first fixed point within 2% of it
        let basins = fixed::basins(z, latent, rounds, 1e-4 * scale, 0.02 * scale, |batch| {
            model.encode_host(&model.decode_host(batch, 1024), 1024)
        });
        let flat: Vec<f32> = basins
            .points
            .iter()
            .flat_map(|(p, _)| p.iter().copied())
            .collect();
        let images = model.decode_host(&flat, 256);
        let described: Vec<Value> = basins
            .points
            .iter()
            .map(|(p, count)| json!({"code": p, "position": Self::position(codes, p), "cells": count}))
            .collect();
        Ok(Frame::new(json!({
            "grid": n, "bounds": b, "rounds": basins.rounds, "unsettled": basins.unsettled,
            "fixed_points": described,
            "ms": (self.ctx.clock.now() - t0) * 1000.0,
        }))
        .with("cells", Arc::new(basins.cells))
        .with("images", Arc::new(images)))
    }

    /// Bounds on the map: x0, x1, y0, y1 with x0 < x1 and y0 < y1.
    fn bounds(b: Vec<f32>) -> Result<Vec<f32>, WireError> {
        let b = numbers("bounds", b, Some(4))?;
        if b[1] <= b[0] || b[3] <= b[2] {
            return Err(WireError::invalid(
                "\"bounds\" are x0, x1, y0, y1 with x0 < x1 and y0 < y1",
            ));
        }
        Ok(b)
    }

    /// Images decoded along the straight line from code `a` to code `b` (`steps` of them).
    fn interpolate(
        &mut self,
        a: Vec<f32>,
        b: Vec<f32>,
        steps: Option<usize>,
    ) -> Result<Frame, WireError> {
        let steps = whole("steps", steps, (2, 64), 10)?;
        let latent = self.model()?.arch.latent_size();
        let a = numbers("a", a, Some(latent))?;
        let b = numbers("b", b, Some(latent))?;
        let line = latent::interpolate(&a, &b, steps);
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let images = model.decode_host(&line, 64);
        let positions: Vec<[f32; 2]> = line
            .chunks_exact(latent)
            .map(|c| Self::position(codes, c))
            .collect();
        Ok(Frame::new(json!({"steps": steps, "positions": positions}))
            .with("images", Arc::new(images)))
    }

    /// The decoder's image at the centre of every cell of an n × n grid over `bounds`.
    fn grid(&mut self, grid: Option<usize>, bounds: Vec<f32>) -> Result<Frame, WireError> {
        let n = whole("grid", grid, (2, 32), 16)?;
        let b = numbers("bounds", bounds, Some(4))?;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        let z = Self::grid_codes(codes, latent, &b, n);
        let images = model.decode_host(&z, 256);
        Ok(Frame::new(json!({"grid": n, "bounds": b})).with("images", Arc::new(images)))
    }

    /// The pixels of map images `indices` (thumbnails): at most 2,000 digits at a time, fewer
    /// larger images (see [`image_limit`]).
    fn images(&mut self, idx: Vec<usize>) -> Result<Frame, WireError> {
        self.ensure_map()?;
        let map = self.map.as_ref().expect("ensured");
        if idx.iter().any(|&i| i >= map.images.len()) {
            return Err(WireError::invalid(format!(
                "\"indices\" must be image numbers below {}",
                map.images.len()
            )));
        }
        let most = image_limit(map.images.features);
        if idx.len() > most {
            return Err(WireError::invalid(format!(
                "at most {most} images of {} values at a time",
                map.images.features
            )));
        }
        let images = map.images.subset(&idx).values;
        Ok(Frame::new(json!({"indices": idx})).with("images", Arc::new(images)))
    }

    /// One image through every shipped model of the current dataset (2-D and 30-D side by
    /// side): their reconstructions and errors.
    fn compare(&mut self, pixels: Vec<f32>) -> Result<Frame, WireError> {
        let pixels = self.image(pixels)?;
        // the reads are extras: without a map the reconstructions still come, unread
        let reader = match self.ensure_map() {
            Ok(()) => self.map.as_ref().map(|m| Arc::clone(&m.images)),
            Err(_) => None,
        };
        let read = |image: &[f32]| reader.as_deref().and_then(|d| Self::read(d, image));
        let dataset = self.wanted_map().0;
        let mut described = Vec::new();
        let mut out = Vec::new();
        for m in shipped::MODELS.iter().filter(|m| m.dataset == dataset) {
            if !self.others.iter().any(|(n, _)| n == m.name) {
                let (_, model) = digit_model(m.name, m.bytes).map_err(WireError::invalid)?;
                self.others.push((m.name.to_string(), model));
            }
            let model = &self
                .others
                .iter()
                .find(|(n, _)| n == m.name)
                .expect("loaded")
                .1;
            let code = model.encode_host(&pixels, 1);
            let r = model.decode_host(&code, 1);
            let error = LossKind::Mse.host(&r, &pixels);
            described.push(json!({"name": m.name, "title": m.title,
                                  "latent": code.len(), "error": error, "read": read(&r)}));
            out.extend(r);
        }
        Ok(
            Frame::new(json!({"models": described, "input_read": read(&pixels)}))
                .with("reconstructions", Arc::new(out)),
        )
    }

    /// Which class an image shows, read by the labels of its ten nearest map images in pixels
    /// (the first `READERS` of them: enough to read a clear digit, quick on every stroke).
    fn read(images: &Dataset, image: &[f32]) -> Option<u32> {
        const READERS: usize = 5000;
        let labels = images.labels.as_deref()?;
        let n = images.len().min(READERS);
        let near = hourglass_core::project::nearest_to(
            &images.values[..n * images.features],
            images.features,
            image,
            10,
        );
        hourglass_core::project::majority(labels, &near)
    }
}

/// The largest basin grid (cells a side) for images of `values` numbers: 128 for a 28×28
/// digit; a larger image costs more to decode and encode, so its grid is smaller, each round
/// as much work (a 64×64 colour patch: 32).
pub(super) fn basin_grid_limit(values: usize) -> usize {
    let budget = MAX_GRID * MAX_GRID * fields::PIXELS;
    (((budget / values.max(1)) as f64).sqrt() as usize).clamp(2, MAX_GRID)
}

/// The most map images one `images` query sends: 2,000 digits (1.6 million values), and
/// as many values of larger images (600 thumbnails of 64×64 colour patches fit).
pub(super) fn image_limit(values: usize) -> usize {
    (8_000_000 / values.max(1)).clamp(1, 2000)
}
