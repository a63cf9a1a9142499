//! What the page asks of the model: encode, decode, sample, resample and prior (a VAE),
//! iterate to a fixed point, basins, interpolate, the decoded grid, images, compare.

use super::*;

impl DigitsJob {
    /// A code from `code` (latent numbers) or `at` (a spot on the map).
    pub(super) fn code_from(&mut self, fields: &Map<String, Value>) -> Result<Vec<f32>, WireError> {
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        if fields.contains_key("at") {
            let at = numbers(fields, "at", Some(2))?;
            return Ok(Self::code_at(codes, latent, [at[0], at[1]]));
        }
        numbers(fields, "code", Some(latent))
    }

    /// The image the decoder makes of one code (anywhere on the plane: hovering the map).
    pub(super) fn decode(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let code = self.code_from(fields)?;
        let (model, codes) = self.parts()?;
        let image = model.decode_host(&code, 1);
        let at = Self::position(codes, &code);
        Ok(Frame::new(json!({"code": code, "position": at})).with("image", Arc::new(image)))
    }

    /// Map image `index`: its pixels, label, code, position and reconstruction.
    pub(super) fn sample(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        self.ensure_codes()?;
        let n = self.map.as_ref().map_or(0, |d| d.images.len());
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

    /// The code and reconstruction of one image (784 values in 0..=1).
    pub(super) fn encode(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let pixels = pixels(fields)?;
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
    pub(super) fn resample(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let pixels = pixels(fields)?;
        let seed = whole(fields, "seed", (0, u32::MAX as usize), 1)? as u64;
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
    pub(super) fn prior(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let count = whole(fields, "count", (1, 64), 16)?;
        let seed = whole(fields, "seed", (0, u32::MAX as usize), 1)? as u64;
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
    pub(super) fn iterate(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let steps = whole(fields, "steps", (1, MAX_ITERATIONS), 100)?;
        let eps = fields.get("eps").and_then(Value::as_f64).unwrap_or(1e-4);
        if !(1e-9..=0.1).contains(&eps) {
            return Err(WireError::invalid("\"eps\" must be in 1e-9–0.1"));
        }
        let start = if fields.contains_key("pixels") {
            Some(pixels(fields)?)
        } else {
            None
        };
        let given = if start.is_none() {
            Some(self.code_from(fields)?)
        } else {
            self.ensure_codes()?;
            None
        };
        let (model, codes) = self.parts()?;
        let tol = eps as f32 * Self::code_scale(codes);
        let mut z = match (&start, given) {
            (Some(p), _) => model.encode_host(p, 1),
            (None, Some(c)) => c,
            (None, None) => unreachable!("one of the two"),
        };
        let mut path = vec![z.clone()];
        let mut images = Vec::new();
        let mut fixed = false;
        for _ in 0..steps {
            let x = model.decode_host(&z, 1);
            let next = model.encode_host(&x, 1);
            images.extend_from_slice(&x);
            let moved = distance(&next, &z);
            path.push(next.clone());
            z = next;
            if moved < tol {
                fixed = true;
                break;
            }
        }
        let positions: Vec<[f32; 2]> = path.iter().map(|c| Self::position(codes, c)).collect();
        Ok(Frame::new(json!({
            "codes": path, "positions": positions, "fixed": fixed,
            "iterations": path.len() - 1, "tolerance": tol,
        }))
        .with("images", Arc::new(images)))
    }

    /// The basin map: every cell of an n × n grid over `bounds` (x0, x1, y0, y1 on the map)
    /// iterated through encode(decode(z)) in one batch per round, each cell's end grouped
    /// with the fixed point it reached.
    pub(super) fn basins(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let t0 = std::time::Instant::now();
        let n = whole(fields, "grid", (2, MAX_GRID), 64)?;
        let rounds = whole(fields, "iterations", (1, MAX_ITERATIONS), 50)?;
        let b = numbers(fields, "bounds", Some(4))?;
        if b[1] <= b[0] || b[3] <= b[2] {
            return Err(WireError::invalid(
                "\"bounds\" are x0, x1, y0, y1 with x0 < x1 and y0 < y1",
            ));
        }
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        let scale = Self::code_scale(codes);
        let mut z = Self::grid_codes(codes, latent, &b, n);
        let settle = 1e-4 * scale;
        let mut active: Vec<usize> = (0..n * n).collect();
        let mut ran = 0;
        while !active.is_empty() && ran < rounds {
            let batch: Vec<f32> = active
                .iter()
                .flat_map(|&i| z[i * latent..(i + 1) * latent].iter().copied())
                .collect();
            let next = model.encode_host(&model.decode_host(&batch, 1024), 1024);
            let mut still = Vec::with_capacity(active.len());
            for (k, &i) in active.iter().enumerate() {
                let new = &next[k * latent..(k + 1) * latent];
                let moved = distance(new, &z[i * latent..(i + 1) * latent]);
                z[i * latent..(i + 1) * latent].copy_from_slice(new);
                if moved >= settle {
                    still.push(i);
                }
            }
            active = still;
            ran += 1;
        }
        // group the ends: a cell joins the first fixed point within 2% of the codes' spread
        let join = 0.02 * scale;
        let mut points: Vec<(Vec<f32>, usize)> = Vec::new();
        let mut cells = vec![-1.0f32; n * n];
        for (i, cell) in cells.iter_mut().enumerate() {
            let end = &z[i * latent..(i + 1) * latent];
            match points.iter().position(|(p, _)| distance(p, end) < join) {
                Some(k) => {
                    *cell = k as f32;
                    points[k].1 += 1;
                }
                None if points.len() < 64 => {
                    *cell = points.len() as f32;
                    points.push((end.to_vec(), 1));
                }
                None => {}
            }
        }
        let flat: Vec<f32> = points.iter().flat_map(|(p, _)| p.iter().copied()).collect();
        let images = model.decode_host(&flat, 256);
        let described: Vec<Value> = points
            .iter()
            .map(|(p, count)| json!({"code": p, "position": Self::position(codes, p), "cells": count}))
            .collect();
        Ok(Frame::new(json!({
            "grid": n, "bounds": b, "rounds": ran, "unsettled": active.len(),
            "fixed_points": described, "ms": t0.elapsed().as_secs_f64() * 1000.0,
        }))
        .with("cells", Arc::new(cells))
        .with("images", Arc::new(images)))
    }

    /// Images decoded along the straight line from code `a` to code `b` (`steps` of them).
    pub(super) fn interpolate(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let steps = whole(fields, "steps", (2, 64), 10)?;
        let latent = self.model()?.arch.latent_size();
        let a = numbers(fields, "a", Some(latent))?;
        let b = numbers(fields, "b", Some(latent))?;
        let codes = latent::interpolate(&a, &b, steps);
        let images = self.model()?.decode_host(&codes, 64);
        Ok(Frame::new(json!({"steps": steps})).with("images", Arc::new(images)))
    }

    /// The decoder's image at the centre of every cell of an n × n grid over `bounds`.
    pub(super) fn grid(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let n = whole(fields, "grid", (2, 32), 16)?;
        let b = numbers(fields, "bounds", Some(4))?;
        self.ensure_codes()?;
        let (model, codes) = self.parts()?;
        let latent = model.arch.latent_size();
        let z = Self::grid_codes(codes, latent, &b, n);
        let images = model.decode_host(&z, 256);
        Ok(Frame::new(json!({"grid": n, "bounds": b})).with("images", Arc::new(images)))
    }

    /// The pixels of map images `indices` (thumbnails), at most 2,000 at a time.
    pub(super) fn images(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        self.ensure_map()?;
        let map = self.map.as_ref().expect("ensured");
        let idx: Vec<usize> = fields
            .get("indices")
            .and_then(Value::as_array)
            .ok_or_else(|| WireError::malformed("\"indices\" must be an array"))?
            .iter()
            .map(|v| {
                v.as_u64()
                    .map(|i| i as usize)
                    .filter(|&i| i < map.images.len())
            })
            .collect::<Option<_>>()
            .ok_or_else(|| {
                WireError::invalid(format!(
                    "\"indices\" must be image numbers below {}",
                    map.images.len()
                ))
            })?;
        if idx.len() > 2000 {
            return Err(WireError::invalid("at most 2,000 images at a time"));
        }
        let images = map.images.subset(&idx).values;
        Ok(Frame::new(json!({"indices": idx})).with("images", Arc::new(images)))
    }

    /// One image through every shipped model of the current dataset (2-D and 30-D side by
    /// side): their reconstructions and errors.
    pub(super) fn compare(&mut self, fields: &Map<String, Value>) -> Result<Frame, WireError> {
        let pixels = pixels(fields)?;
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
                                  "latent": code.len(), "error": error}));
            out.extend(r);
        }
        Ok(Frame::new(json!({"models": described})).with("reconstructions", Arc::new(out)))
    }
}
