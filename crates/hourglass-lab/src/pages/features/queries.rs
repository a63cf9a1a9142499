//! What the Features page asks of the last dictionary: its cards, one feature's details,
//! which features an image uses, and the reconstruction with one feature clamped.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use super::{FeaturesJob, browser::Dictionary, class_names};
use crate::{Frame, WireError, fields};

/// Cards in one answer at most.
const MAX_CARDS: usize = 64;
/// Features listed for an image at most (strongest first).
const MAX_USED: usize = 16;
/// A clamped feature's value is at most this far from 0.
const MAX_STEER: f32 = 1_000.0;

/// How the cards are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Most often active first.
    Rate,
    /// Most single-class first (features that fire at all).
    Purity,
    /// By number.
    Index,
}

/// What the Features page answers, `{"type": "query", "id": n, "query": name, …fields}`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "query", rename_all = "snake_case", deny_unknown_fields)]
pub enum FeaturesQuery {
    /// `count` feature cards from `offset` in the `sort` order, with their directions.
    Cards {
        sort: Option<Sort>,
        offset: Option<usize>,
        count: Option<usize>,
    },
    /// One feature: its statistics, direction and top images.
    Feature { index: usize },
    /// The features a test image (`index`) or a drawn one (`pixels`) uses.
    Image {
        index: Option<usize>,
        pixels: Option<Vec<f32>>,
    },
    /// That image's reconstruction with `feature` clamped to `value`, beside the plain one.
    Steer {
        index: Option<usize>,
        pixels: Option<Vec<f32>>,
        feature: usize,
        value: f32,
    },
}

impl FeaturesJob {
    pub(super) fn answer(&mut self, query: FeaturesQuery) -> Result<Frame, WireError> {
        let d = self.dictionary.as_ref().ok_or_else(|| {
            WireError::new(
                "not_ready",
                "no dictionary yet: train one first (Train a dictionary)",
            )
        })?;
        match query {
            FeaturesQuery::Cards {
                sort,
                offset,
                count,
            } => cards(d, sort.unwrap_or(Sort::Rate), offset, count),
            FeaturesQuery::Feature { index } => feature(d, index),
            FeaturesQuery::Image { index, pixels } => {
                let (pixels, label) = image(d, index, pixels)?;
                used(d, pixels, label)
            }
            FeaturesQuery::Steer {
                index,
                pixels,
                feature,
                value,
            } => {
                let (pixels, _) = image(d, index, pixels)?;
                steer(d, pixels, feature, value)
            }
        }
    }
}

fn check_feature(d: &Dictionary, index: usize) -> Result<(), WireError> {
    if index >= d.features.len() {
        return Err(WireError::invalid(format!(
            "\"feature\" {index} is not one of the dictionary's {} features (0–{})",
            d.features.len(),
            d.features.len() - 1
        )));
    }
    Ok(())
}

fn cards(
    d: &Dictionary,
    sort: Sort,
    offset: Option<usize>,
    count: Option<usize>,
) -> Result<Frame, WireError> {
    let total = d.features.len();
    let offset = fields::whole("offset", offset, (0, total.saturating_sub(1)), 0)?;
    let count = fields::whole("count", count, (1, MAX_CARDS), 24)?;
    let mut order: Vec<usize> = (0..total).collect();
    match sort {
        Sort::Rate => order.sort_by(|&a, &b| d.features[b].rate.total_cmp(&d.features[a].rate)),
        Sort::Purity => order.sort_by(|&a, &b| {
            let (fa, fb) = (&d.features[a], &d.features[b]);
            // features that never fire last: their purity says nothing
            (fb.rate > 0.0)
                .cmp(&(fa.rate > 0.0))
                .then(fb.purity.total_cmp(&fa.purity))
        }),
        Sort::Index => {}
    }
    let shown: Vec<usize> = order.into_iter().skip(offset).take(count).collect();
    let cards: Vec<_> = shown
        .iter()
        .map(|&j| {
            let f = &d.features[j];
            json!({"index": j, "rate": f.rate, "purity": f.purity, "label": f.label,
                   "top_class": f.top_class, "max": f.max})
        })
        .collect();
    let directions: Vec<f32> = shown
        .iter()
        .flat_map(|&j| d.direction(j).iter().copied())
        .collect();
    Ok(Frame::of(&json!({
        "total": total, "offset": offset, "cards": cards,
        "analysed": d.images.len(), "on_codes": d.base.is_some(),
    }))
    .with("directions", Arc::new(directions)))
}

fn feature(d: &Dictionary, index: usize) -> Result<Frame, WireError> {
    check_feature(d, index)?;
    let f = &d.features[index];
    let names = class_names(&d.dataset);
    let top: Vec<_> = f
        .top
        .iter()
        .map(|&(i, v)| {
            json!({"image": i, "activation": v,
                   "label": d.images.label(i).map(|l| names.get(l as usize).copied().unwrap_or("?"))})
        })
        .collect();
    let pixels: Vec<f32> = f
        .top
        .iter()
        .flat_map(|&(i, _)| d.images.sample(i).iter().copied())
        .collect();
    Ok(Frame::of(&json!({
        "index": index, "rate": f.rate, "purity": f.purity, "label": f.label,
        "classes": f.classes, "class_names": names, "max": f.max,
        "histogram": f.histogram, "top": top, "analysed": d.images.len(),
    }))
    .with("direction", Arc::new(d.direction(index).to_vec()))
    .with("top_pixels", Arc::new(pixels)))
}

/// The image asked about: test image `index` or drawn `pixels` (exactly one), and its label.
fn image(
    d: &Dictionary,
    index: Option<usize>,
    pixels: Option<Vec<f32>>,
) -> Result<(Vec<f32>, Option<u32>), WireError> {
    match (index, pixels) {
        (Some(i), None) => {
            let n = d.images.len();
            let i = fields::whole("index", Some(i), (0, n.saturating_sub(1)), 0)?;
            Ok((d.images.sample(i).to_vec(), d.images.label(i)))
        }
        (None, Some(p)) => Ok((fields::pixels(p)?, None)),
        _ => Err(WireError::invalid(
            "give a test image's \"index\" or a drawn image's \"pixels\", one of the two",
        )),
    }
}

fn used(d: &Dictionary, pixels: Vec<f32>, label: Option<u32>) -> Result<Frame, WireError> {
    let code = d.encode(&pixels)?;
    let mut active: Vec<(usize, f32)> = code
        .iter()
        .enumerate()
        .filter(|(_, v)| **v > 0.0)
        .map(|(j, &v)| (j, v))
        .collect();
    active.sort_by(|a, b| b.1.total_cmp(&a.1));
    let count = active.len();
    active.truncate(MAX_USED);
    let names = class_names(&d.dataset);
    let features: Vec<_> = active
        .iter()
        .map(|&(j, v)| json!({"index": j, "activation": v, "label": d.features[j].label}))
        .collect();
    let directions: Vec<f32> = active
        .iter()
        .flat_map(|&(j, _)| d.direction(j).iter().copied())
        .collect();
    let reconstruction = d.decode(&code)?;
    Ok(Frame::of(&json!({
        "label": label.map(|l| names.get(l as usize).copied().unwrap_or("?")),
        "active": count, "features": features,
    }))
    .with("pixels", Arc::new(pixels))
    .with("reconstruction", Arc::new(reconstruction))
    .with("directions", Arc::new(directions)))
}

fn steer(d: &Dictionary, pixels: Vec<f32>, feature: usize, value: f32) -> Result<Frame, WireError> {
    check_feature(d, feature)?;
    if !value.is_finite() || value.abs() > MAX_STEER {
        return Err(WireError::invalid(format!(
            "\"value\" must be a number from −{MAX_STEER} to {MAX_STEER}"
        )));
    }
    let mut code = d.encode(&pixels)?;
    let original = d.decode(&code)?;
    let was = code[feature];
    code[feature] = value;
    let steered = d.decode(&code)?;
    let change = steered
        .iter()
        .zip(&original)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    Ok(Frame::of(&json!({
        "feature": feature, "value": value, "was": was, "largest_change": change,
        "label": d.features[feature].label,
    }))
    .with("pixels", Arc::new(pixels))
    .with("original", Arc::new(original))
    .with("reconstruction", Arc::new(steered)))
}
