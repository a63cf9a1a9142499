//! Turning `--dataset` into a [`Dataset`]: a known name, the built-in patterns, or a file.

use std::path::Path;

use anyhow::{Result, bail};
use hourglass_core::data::{self, Dataset, LabelColumn, Scaling};
pub use hourglass_data::read_file;
use hourglass_data::{folder::is_image, shipped};

use crate::DataArgs;

/// The colour planes an image folder is read into (`--colour`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Channels {
    /// Colour when any image has colour, else grey
    AsTheyAre,
    /// One grey channel
    Grey,
    /// Red, green and blue
    Colour,
}

impl From<Channels> for data::ImageColour {
    fn from(c: Channels) -> Self {
        match c {
            Channels::AsTheyAre => data::ImageColour::AsTheyAre,
            Channels::Grey => data::ImageColour::Grey,
            Channels::Colour => data::ImageColour::Colour,
        }
    }
}

/// Which part of a known dataset.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Split {
    Train,
    Test,
}

impl From<Split> for hourglass_data::Split {
    fn from(s: Split) -> Self {
        match s {
            Split::Train => hourglass_data::Split::Train,
            Split::Test => hourglass_data::Split::Test,
        }
    }
}

/// The split `--split` names, checked against `--dataset`: only a known dataset has parts,
/// so a split given for a file or the patterns is refused rather than ignored. The test
/// split when none is given.
pub fn split_of(args: &DataArgs, given: Option<Split>) -> Result<Split> {
    let lower = args.dataset.to_ascii_lowercase();
    let known = hourglass_data::known(&lower).is_some() || lower == shipped::PHOTOS_NAME;
    match given {
        Some(s) if !known => bail!(
            "--split {} applies to mnist, fashion-mnist and photo-patches only; {} is one set (leave --split out)",
            match s {
                Split::Train => "train",
                Split::Test => "test",
            },
            args.dataset
        ),
        Some(s) => Ok(s),
        None => Ok(Split::Test),
    }
}

/// The side images of a folder are resized to: `--image-size`, 28 by default.
pub fn image_size(args: &DataArgs) -> Result<u32> {
    let size = args.image_size.unwrap_or(28);
    if size == 0 || size > 512 {
        bail!("--image-size {size} is outside 1..=512");
    }
    Ok(size)
}

/// The channels `--colour` asks an image folder to be read in.
pub fn image_colour(args: &DataArgs) -> data::ImageColour {
    args.colour.map_or(data::ImageColour::AsTheyAre, Into::into)
}

/// A folder of images; images in sub-folders get the sub-folder's index (sorted by name) as
/// their label.
fn load_image_folder(dir: &Path, size: u32, colour: data::ImageColour) -> Result<Dataset> {
    let (data, changed) = hourglass_data::folder::load(dir, size, colour)?;
    if let Some(said) = changed.sentence(size, size) {
        eprintln!("note: {}: {said}", data.name);
    }
    Ok(data)
}

fn load_file(path: &Path, args: &DataArgs) -> Result<Dataset> {
    if path.is_dir() {
        return load_image_folder(path, image_size(args)?, image_colour(args));
    }
    if args.colour.is_some() {
        bail!(
            "--colour applies to image folders only ({} is a file)",
            path.display()
        );
    }
    if !path.exists() {
        // a name with a folder or an extension is a file that is not there
        if path.extension().is_some() || path.components().count() > 1 {
            bail!("--dataset {}: no such file or folder", path.display());
        }
        bail!(
            "unknown dataset '{}' (expected mnist, fashion-mnist, patterns, photo-patches, or an existing .csv, .npy, IDX file or image folder)",
            path.display()
        );
    }
    let name = path.display().to_string();
    let lower = name.to_ascii_lowercase();
    let bytes = read_file(path)?;
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        let label = match args.label_column.as_deref() {
            Some(c) => Some(c.parse::<LabelColumn>().expect("infallible")),
            // a column headed `label` holds the labels (as our own CSVs write them)
            None => data::label_in_header(&bytes).inspect(|l| {
                if let LabelColumn::Name(n) = l {
                    eprintln!(
                        "note: {name}: column '{n}' taken as the labels (--label-column names another)"
                    );
                }
            }),
        };
        return Ok(data::read_csv(&name, &bytes, label.as_ref())?);
    }
    if args.label_column.is_some() {
        bail!("--label-column applies to CSV files only");
    }
    if lower.ends_with(".npy") {
        return Ok(data::read_npy(&name, &bytes)?);
    }
    if lower.ends_with(".idx")
        || lower.ends_with(".gz")
        || lower.contains("-ubyte")
        || lower.contains("idx3")
    {
        return Ok(data::idx_dataset(&name, (&name, &bytes), None)?);
    }
    if is_image(path) {
        bail!("{name}: a single image is not a dataset; pass the folder that holds the images");
    }
    bail!("{name}: unknown file type (expected .csv, .npy, an IDX file, or a folder of images)")
}

/// Loads `--dataset` for a model: as it was read in training (the model's image size for an
/// image folder, unless `--image-size` says otherwise; the model's scaling), and checked
/// against the model's input size with a message that names what to change.
pub fn load_for_model(
    args: &DataArgs,
    split: Split,
    info: &hourglass_core::checkpoint::DatasetInfo,
) -> Result<Dataset> {
    let mut args = args.clone();
    if args.image_size.is_none()
        && let Some([h, w]) = info.image_shape
        && h == w
    {
        args.image_size = Some(h as u32);
    }
    // an image folder is read in the channels the model was trained on
    if args.colour.is_none() && info.image_shape.is_some() && Path::new(&args.dataset).is_dir() {
        args.colour = Some(if info.channels == 3 {
            Channels::Colour
        } else {
            Channels::Grey
        });
    }
    let (data, _) = load(&args, split, Some(info.scaling))?;
    if data.features != info.features {
        let hint = match info.image_shape {
            Some([h, w]) => format!(
                " (it was trained on {} images: --image-size {h}{})",
                data::shape_words(info.channels, h, w),
                if info.channels == 3 {
                    " --colour colour"
                } else {
                    ""
                }
            ),
            None => String::new(),
        };
        bail!(
            "{} has {} values per sample, but the model takes {}{hint}",
            data.name,
            data.features,
            info.features
        );
    }
    Ok(data)
}

/// Loads `--dataset` (the `split` part, for known datasets) and applies `--limit`.
/// Readers already map pixels to [0, 1]. Other values outside [0, 1] are mapped linearly into
/// it; a model's own `scaling` (from its checkpoint) is applied instead when given, so data
/// are scaled as they were in training. Returns the dataset and the scaling applied.
pub fn load(args: &DataArgs, split: Split, scaling: Option<Scaling>) -> Result<(Dataset, Scaling)> {
    let lower = args.dataset.to_ascii_lowercase();
    let mut ds = match lower.as_str() {
        "patterns" => data::patterns_dataset(),
        shipped::PHOTOS_NAME => shipped::photos(split.into())?,
        name => match hourglass_data::known(name) {
            Some(k) => hourglass_data::load_known(k, args.data_dir.as_deref(), split.into())?,
            None => load_file(Path::new(&args.dataset), args)?,
        },
    };
    if let Some(n) = args.limit {
        if n == 0 {
            bail!("--limit must be at least 1");
        }
        ds = ds.take(n);
    }
    let scaling =
        scaling.unwrap_or_else(|| unit_scaling(&ds.name, ds.range(), || warn_uneven_columns(&ds)));
    scaling.apply(&mut ds.values);
    Ok((ds, scaling))
}

/// The scaling that brings data spanning [lo, hi] into [0, 1] — none when they are in it —
/// said when it scales (`uneven` first says whether columns' spans differ a lot).
pub fn unit_scaling(name: &str, (lo, hi): (f32, f32), uneven: impl FnOnce()) -> Scaling {
    if lo >= 0.0 && hi <= 1.0 {
        return Scaling::IDENTITY;
    }
    uneven();
    eprintln!("note: {name} spans [{lo}, {hi}]; values were scaled linearly to [0, 1]");
    Scaling::spanning(lo, hi)
}

/// One linear scale maps every column into [0, 1]; when the columns' spans differ a lot (an id
/// column beside coordinates), the narrow ones are squeezed to almost nothing: say so.
fn warn_uneven_columns(ds: &Dataset) {
    let f = ds.features;
    if f < 2 || ds.image_shape.is_some() {
        return;
    }
    let mut lo = vec![f32::INFINITY; f];
    let mut hi = vec![f32::NEG_INFINITY; f];
    for row in ds.values.chunks(f) {
        for (c, &v) in row.iter().enumerate() {
            lo[c] = lo[c].min(v);
            hi[c] = hi[c].max(v);
        }
    }
    warn_uneven_spans(&lo, &hi);
}

/// [`warn_uneven_columns`] from each column's smallest and largest value (a file streamed
/// from disk finds them as it reads it once).
pub fn warn_uneven_spans(lo: &[f32], hi: &[f32]) {
    if lo.len() < 2 {
        return;
    }
    let spans: Vec<f32> = lo.iter().zip(hi).map(|(a, b)| b - a).collect();
    let (wide, widest) = spans
        .iter()
        .enumerate()
        .fold((0, 0.0f32), |m, (c, &s)| if s > m.1 { (c, s) } else { m });
    let (narrow, narrowest) = spans.iter().enumerate().filter(|(_, s)| **s > 0.0).fold(
        (0, f32::INFINITY),
        |m, (c, &s)| if s < m.1 { (c, s) } else { m },
    );
    if narrowest.is_finite() && widest > 100.0 * narrowest {
        eprintln!(
            "note: column {} spans {widest} but column {} only {narrowest}; one scale for all columns squeezes the narrow ones (rescale the columns, or drop an id column)",
            wide + 1,
            narrow + 1
        );
    }
}
