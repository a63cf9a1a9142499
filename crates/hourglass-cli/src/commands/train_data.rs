//! What `hourglass train` trains on: a data set read whole into memory, or — with `--stream`
//! — a folder of images read from disk a batch at a time, split the same way (so the same
//! seed trains on the same images in the same order).

use std::path::Path;

use anyhow::{Result, bail};
use hourglass_core::data::{Dataset, Samples, Scaling, split_indices};
use hourglass_data::{folder, stream::ImageStream};

use super::train::TrainArgs;
use crate::datasets::{self, Split};

/// The training and validation samples.
pub enum Source {
    Memory {
        train: Dataset,
        val: Dataset,
    },
    Streamed {
        train: ImageStream,
        val: ImageStream,
    },
}

/// The data a run trains on and what its checkpoint records of them.
pub struct Prepared {
    pub source: Source,
    pub name: String,
    pub features: usize,
    pub image_shape: Option<[usize; 2]>,
    pub channels: usize,
    pub classes: Option<Vec<String>>,
    pub scaling: Scaling,
}

impl Prepared {
    pub fn train(&self) -> &dyn Samples {
        match &self.source {
            Source::Memory { train, .. } => train,
            Source::Streamed { train, .. } => train,
        }
    }

    pub fn val(&self) -> &dyn Samples {
        match &self.source {
            Source::Memory { val, .. } => val,
            Source::Streamed { val, .. } => val,
        }
    }

    pub fn image_dims(&self) -> Option<[usize; 3]> {
        self.image_shape.map(|[h, w]| [self.channels, h, w])
    }

    /// For a streamed run: seconds training waited for images not yet decoded.
    pub fn waited_seconds(&self) -> Option<f64> {
        match &self.source {
            Source::Memory { .. } => None,
            Source::Streamed { train, .. } => Some(train.waited().as_secs_f64()),
        }
    }
}

/// Reads (or opens, streamed) `--dataset` and splits it for validation.
pub fn prepare(args: &TrainArgs) -> Result<Prepared> {
    if args.stream {
        return stream(args);
    }
    let (mut data, scaling) = datasets::load(&args.data, Split::Train, None)?;
    if let Some(h) = &args.held_out {
        let held = super::anomaly::parse_labels(h, "--held-out", &data)?;
        let Some(labels) = &data.labels else {
            bail!("--held-out: {} has no labels", data.name);
        };
        let keep: Vec<usize> = (0..data.len())
            .filter(|&i| !held.contains(&labels[i]))
            .collect();
        if keep.len() == data.len() {
            bail!(
                "--held-out {h}: {} has no images of those classes",
                data.name
            );
        }
        if keep.is_empty() {
            bail!(
                "--held-out {h} leaves no images of {} to train on",
                data.name
            );
        }
        data = data.subset(&keep);
    }
    let (train, val) = data.split(args.val_split, args.seed)?;
    Ok(Prepared {
        name: data.name.clone(),
        features: data.features,
        image_shape: data.image_shape,
        channels: data.channels,
        classes: data.classes.clone(),
        scaling,
        source: Source::Memory { train, val },
    })
}

/// A folder of images opened for reading as training goes.
fn stream(args: &TrainArgs) -> Result<Prepared> {
    let dir = Path::new(&args.data.dataset);
    if !dir.is_dir() {
        bail!(
            "--stream reads a folder of images a batch at a time; {} is not a folder (a file or a known dataset is read into memory: leave --stream out)",
            args.data.dataset
        );
    }
    if args.held_out.is_some() {
        bail!("--held-out is not available with --stream (move those classes' folders aside)");
    }
    let size = datasets::image_size(&args.data)?;
    let mut images = folder::list(dir)?;
    if let Some(n) = args.data.limit {
        if n == 0 {
            bail!("--limit must be at least 1");
        }
        images.truncate(n);
    }
    let (all, changed) = ImageStream::open(&images, size, datasets::image_colour(&args.data))?;
    if let Some(said) = changed.sentence(size, size) {
        eprintln!("note: {}: {said}", images.name);
    }
    let (train, val) = split_indices(all.len(), args.val_split, args.seed)?;
    let s = size as usize;
    Ok(Prepared {
        name: images.name.clone(),
        features: all.features(),
        image_shape: Some([s, s]),
        channels: all.channels(),
        classes: images.labels().and(images.classes.clone()),
        scaling: Scaling::IDENTITY,
        source: Source::Streamed {
            train: all.subset(&train),
            val: all.subset(&val),
        },
    })
}
