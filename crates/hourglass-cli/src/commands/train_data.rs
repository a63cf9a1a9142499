//! What `hourglass train` trains on: a data set read whole into memory, or — with `--stream`
//! — a folder of images or an .npy file read from disk a batch at a time, split the same way
//! (so the same seed trains on the same images in the same order).

use std::path::Path;

use anyhow::{Result, bail};
use hourglass_core::data::{Dataset, Samples, Scaling, split_indices};
use hourglass_data::{folder, npy_stream::NpyStream, stream::ImageStream};

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
    StreamedNpy {
        train: NpyStream,
        val: NpyStream,
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
            Source::StreamedNpy { train, .. } => train,
        }
    }

    pub fn val(&self) -> &dyn Samples {
        match &self.source {
            Source::Memory { val, .. } => val,
            Source::Streamed { val, .. } => val,
            Source::StreamedNpy { val, .. } => val,
        }
    }

    pub fn image_dims(&self) -> Option<[usize; 3]> {
        self.image_shape.map(|[h, w]| [self.channels, h, w])
    }

    /// For a streamed run: seconds training waited for its data, and for what.
    pub fn waited_seconds(&self) -> Option<(f64, &'static str)> {
        match &self.source {
            Source::Memory { .. } => None,
            Source::Streamed { train, .. } => {
                Some((train.waited().as_secs_f64(), "images not yet decoded"))
            }
            Source::StreamedNpy { train, .. } => {
                Some((train.waited().as_secs_f64(), "samples read from the file"))
            }
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
    let (name, features, image_shape, channels, classes) = (
        data.name.clone(),
        data.features,
        data.image_shape,
        data.channels,
        data.classes.clone(),
    );
    // split in place: a large set is not held twice
    let (train, val) = data.into_split(args.val_split, args.seed)?;
    Ok(Prepared {
        name,
        features,
        image_shape,
        channels,
        classes,
        scaling,
        source: Source::Memory { train, val },
    })
}

/// A folder of images or an .npy file opened for reading as training goes.
fn stream(args: &TrainArgs) -> Result<Prepared> {
    let dir = Path::new(&args.data.dataset);
    let npy = dir.is_file() && args.data.dataset.to_ascii_lowercase().ends_with(".npy");
    if !dir.is_dir() && !npy {
        bail!(
            "--stream reads a folder of images or an .npy file a batch at a time; {} is neither (a CSV, IDX file or known dataset is read into memory: leave --stream out)",
            args.data.dataset
        );
    }
    if args.held_out.is_some() {
        bail!(
            "--held-out is not available with --stream (move those classes' folders aside; an .npy file has no classes)"
        );
    }
    if npy {
        return stream_npy(args, dir);
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

/// An .npy file opened for reading as training goes: scaled as it would be in memory (its
/// values' range found by reading it once, a block at a time).
fn stream_npy(args: &TrainArgs, path: &Path) -> Result<Prepared> {
    if args.data.limit == Some(0) {
        bail!("--limit must be at least 1");
    }
    let all = NpyStream::open(path, args.data.limit)?;
    let (lows, highs) = all.column_ranges()?;
    let lo = lows.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = highs.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let scaling = datasets::unit_scaling(all.name(), (lo, hi), || {
        if all.image_dims().is_none() {
            datasets::warn_uneven_spans(&lows, &highs);
        }
    });
    let all = all.scaled(scaling);
    let (train, val) = split_indices(all.len(), args.val_split, args.seed)?;
    let dims = all.image_dims();
    Ok(Prepared {
        name: all.name().to_string(),
        features: all.features(),
        image_shape: dims.map(|[_, h, w]| [h, w]),
        channels: dims.map_or(1, |[c, _, _]| c),
        classes: None,
        scaling,
        source: Source::StreamedNpy {
            train: all.subset(&train),
            val: all.subset(&val),
        },
    })
}
