//! `hourglass encode`, `decode` and `reconstruct`.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use clap::Args;
use hourglass_core::{
    architecture::Code,
    checkpoint::Checkpoint,
    data::{
        LabelColumn, Scaling, encode_image_png, image_grid, label_in_header, read_csv, read_npy,
        write_csv, write_csv_named, write_npy_f32,
    },
};

use super::load_model;
use crate::{
    DataArgs,
    datasets::{self, Split, read_file},
    output::{check_output, write_atomic},
};

#[derive(Args, Debug)]
pub struct EncodeArgs {
    /// A checkpoint written by `hourglass train`, or a shipped model by name (`hourglass
    /// models`: mnist-2d, mnist-30d, fashion-2d, fashion-30d)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Which part of a known dataset (mnist, fashion-mnist) [default: test]
    #[arg(long, value_enum, ignore_case = true)]
    pub split: Option<Split>,
    /// codes.csv (columns z0…, then label) or codes.npy (float32; labels as a last column)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// A VAE: also write each code's log σ² (columns logvar0… after z0…)
    #[arg(long)]
    pub logvar: bool,
    /// Write this layer's activations instead of the codes (columns h0…; a .npy without the
    /// label column): encoder.0, encoder.conv.1, latent, decoder.0, output … — a wrong name
    /// lists the model's. A dictionary can then be trained on them (`train --dataset
    /// acts.npy`)
    #[arg(long, value_name = "NAME")]
    pub layer: Option<String>,
}

#[derive(Args, Debug)]
pub struct SampleArgs {
    /// A checkpoint written by `hourglass train` (a VAE, --variant vae)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// How many samples
    #[arg(long, default_value_t = 64)]
    pub count: usize,
    /// Images per row of the grid
    #[arg(long, default_value_t = 8)]
    pub cols: usize,
    /// Seed of the codes drawn from the prior N(0, I)
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// samples.png (image models) or samples.csv (in the data's own units)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Pixels per image pixel in the grid [default: enough to make each image ≥ 28 px]
    #[arg(long, value_name = "K")]
    pub scale: Option<usize>,
}

#[derive(Args, Debug)]
pub struct DecodeArgs {
    /// A checkpoint written by `hourglass train`, or a shipped model by name (`hourglass
    /// models`: mnist-2d, mnist-30d, fashion-2d, fashion-30d)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    /// Codes as encode writes them: .csv (its z0… columns; label and logvar… are skipped) or
    /// .npy (k values a row, or encode's extra label and log σ² columns), one row per code
    #[arg(long, value_name = "FILE")]
    pub codes: PathBuf,
    /// grid.png (image models) or values.csv (in the data's own units)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Decode only the first N codes [default: 64 for a .png grid, all for a .csv]
    #[arg(long, value_name = "N")]
    pub count: Option<usize>,
    /// Images per row of the grid
    #[arg(long, default_value_t = 16)]
    pub cols: usize,
    /// Pixels per image pixel in the grid [default: enough to make each image ≥ 28 px]
    #[arg(long, value_name = "K")]
    pub scale: Option<usize>,
}

#[derive(Args, Debug)]
pub struct ReconstructArgs {
    /// A checkpoint written by `hourglass train`, or a shipped model by name (`hourglass
    /// models`: mnist-2d, mnist-30d, fashion-2d, fashion-30d)
    #[arg(long, value_name = "FILE")]
    pub model: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    /// Which part of a known dataset (mnist, fashion-mnist) [default: test]
    #[arg(long, value_enum, ignore_case = true)]
    pub split: Option<Split>,
    /// How many samples (the first ones)
    #[arg(long, default_value_t = 16)]
    pub count: usize,
    /// Images per row
    #[arg(long, default_value_t = 16)]
    pub cols: usize,
    /// grid.png (image models): the originals, then their reconstructions in the same places
    /// below; or rec.csv: the reconstructions, one row per sample, in the data's own units
    /// (any model)
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// Pixels per image pixel in the grid [default: enough to make each image ≥ 28 px]
    #[arg(long, value_name = "K")]
    pub scale: Option<usize>,
}

fn extension(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// The file a `--dataset` names, when it names one (an input `--out` must not replace).
fn dataset_file(data: &crate::DataArgs) -> std::path::PathBuf {
    std::path::PathBuf::from(&data.dataset)
}

pub fn encode(args: EncodeArgs) -> Result<()> {
    let ext = extension(&args.out);
    check_output(
        &args.out,
        &[&args.model, &dataset_file(&args.data)],
        &["csv", "npy"],
    )?;
    let (ck, model) = load_model(&args.model)?;
    let data = datasets::load_for_model(
        &args.data,
        datasets::split_of(&args.data, args.split)?,
        &ck.config.dataset,
    )?;
    let latent = model.arch.latent_size();
    let (mut codes, mut cols) = match &args.layer {
        Some(name) => {
            if args.logvar {
                bail!("--logvar is a VAE code's; with --layer the layer's activations are written");
            }
            let (rows, units) = model.layer_rows(&data.values, name, 512)?;
            (rows, (0..units).map(|i| format!("h{i}")).collect())
        }
        None => (
            model.encode_host(&data.values, 512),
            (0..latent).map(|i| format!("z{i}")).collect::<Vec<_>>(),
        ),
    };
    if args.logvar {
        if model.arch.code() != Code::Gaussian {
            bail!(
                "--logvar: {} is not a VAE (its code is a point, with no variance)",
                args.model.display()
            );
        }
        codes = model.encode_gaussian_host(&data.values, 512);
        cols.extend((0..latent).map(|i| format!("logvar{i}")));
    }
    let k = cols.len();
    let bytes = if ext == "csv" {
        write_csv_named(
            &cols,
            data.len(),
            &codes,
            data.labels.as_deref(),
            data.classes.as_deref(),
        )
    } else {
        // a layer's activations go alone, so `train --dataset acts.npy` reads them as they are
        match data.labels.as_ref().filter(|_| args.layer.is_none()) {
            Some(labels) => {
                let mut with = Vec::with_capacity(codes.len() + labels.len());
                for (row, &l) in codes.chunks(k).zip(labels) {
                    with.extend_from_slice(row);
                    with.push(l as f32);
                }
                write_npy_f32(data.len(), k + 1, &with)
            }
            None => write_npy_f32(data.len(), k, &codes),
        }
    };
    write_atomic(&args.out, &bytes)?;
    eprintln!(
        "wrote {} {} of {k} values to {}",
        data.len(),
        args.layer
            .as_ref()
            .map_or("codes".to_owned(), |l| format!("activations of {l}")),
        args.out.display()
    );
    Ok(())
}

fn image_shape(ck: &Checkpoint, out: &Path) -> Result<[usize; 3]> {
    ck.config.dataset.image_dims().ok_or_else(|| {
        anyhow::anyhow!(
            "the model was not trained on images, so there is no picture to draw: write a .csv (--out {})",
            out.with_extension("csv").display()
        )
    })
}

/// The scale that makes an image at least 28 pixels on its longer side, or `asked`.
fn grid_scale(asked: Option<usize>, [_, h, w]: [usize; 3]) -> Result<usize> {
    match asked {
        Some(0) | Some(33..) => bail!("--scale must be 1–32"),
        Some(k) => Ok(k),
        None => Ok(28usize.div_ceil(h.max(w).max(1))),
    }
}

fn write_grid(
    out: &Path,
    images: &[&[f32]],
    [c, h, w]: [usize; 3],
    cols: usize,
    scale: usize,
) -> Result<()> {
    let (grid, gh, gw) = image_grid(images, c, h, w, cols);
    // each pixel as a scale × scale block, in each colour plane
    let (sh, sw) = (gh * scale, gw * scale);
    let mut big = vec![0f32; c * sh * sw];
    for ch in 0..c {
        for y in 0..sh {
            for x in 0..sw {
                big[(ch * sh + y) * sw + x] = grid[(ch * gh + y / scale) * gw + x / scale];
            }
        }
    }
    write_atomic(out, &encode_image_png(&big, c, sh as u32, sw as u32)?)
}

/// Decoded images (`f` values each) to a .png grid when `shape` is given, else to a .csv
/// in the data's own units (`units`: the scaling the model saved, undone).
fn write_decoded(
    out_path: &Path,
    shape: Option<[usize; 3]>,
    out: &[f32],
    f: usize,
    (cols, scale): (usize, Option<usize>),
    units: Scaling,
) -> Result<()> {
    match shape {
        Some(shape) => {
            let images: Vec<&[f32]> = out.chunks(f).collect();
            write_grid(out_path, &images, shape, cols, grid_scale(scale, shape)?)
        }
        None => {
            let names: Vec<String> = (0..f).map(|i| format!("x{i}")).collect();
            let mut out = out.to_vec();
            units.restore(&mut out);
            write_atomic(out_path, &write_csv(&names, out.len() / f, &out, None))
        }
    }
}

/// Codes of `k` numbers from what `encode` writes (or any file of codes): a CSV's `z0…`
/// columns (its `label` and a VAE's `logvar…` columns are skipped, any other is refused by
/// name), or an .npy's rows of k values, k + 1 (a last label column), 2k (μ then log σ²) or
/// 2k + 1. What is skipped is said.
fn read_codes(
    name: &str,
    bytes: &[u8],
    ext: &str,
    k: usize,
) -> Result<(hourglass_core::data::Dataset, Option<String>)> {
    let data = match ext {
        "csv" => {
            let header: Option<Vec<String>> = std::str::from_utf8(bytes)
                .ok()
                .and_then(|t| t.lines().next())
                .map(|h| h.split(',').map(|c| c.trim().to_string()).collect())
                .filter(|cols: &Vec<String>| cols.iter().any(|c| c.parse::<f64>().is_err()));
            let label = label_in_header(bytes);
            let data = read_csv(name, bytes, label.as_ref())?;
            let Some(header) = header else {
                return Ok((data, None));
            };
            // the columns left after the label, in order
            let cols: Vec<&String> = header
                .iter()
                .filter(|c| !matches!(&label, Some(LabelColumn::Name(n)) if n == *c))
                .collect();
            let is = |c: &str, prefix: &str| {
                c.strip_prefix(prefix)
                    .is_some_and(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            };
            if let Some(other) = cols.iter().find(|c| !is(c, "z") && !is(c, "logvar")) {
                bail!(
                    "{name}: column '{other}' is not part of a code (decode reads z0…z{}, and skips label and a VAE's logvar… columns)",
                    k - 1
                );
            }
            let zs: Vec<usize> = (0..k)
                .map(|i| {
                    cols.iter()
                        .position(|c| **c == format!("z{i}"))
                        .ok_or_else(|| {
                            anyhow::anyhow!(
                                "{name}: no column z{i}; the model's codes have {k} numbers (z0…z{})",
                                k - 1
                            )
                        })
                })
                .collect::<Result<_>>()?;
            let z_count = cols.iter().filter(|c| is(c, "z")).count();
            if z_count != k {
                bail!("{name}: codes have {z_count} values, the model's latent size is {k}");
            }
            let skipped = cols.len() - k;
            let values = data
                .values
                .chunks(data.features)
                .flat_map(|row| zs.iter().map(|&i| row[i]).collect::<Vec<_>>())
                .collect();
            let note = (skipped > 0).then(|| {
                format!("{name}: decoding the codes z0…z{}; the {skipped} logvar columns (a VAE's spread) are not part of them", k - 1)
            });
            return Ok((
                hourglass_core::data::Dataset::new(name, k, values, None)?,
                note,
            ));
        }
        "npy" => read_npy(name, bytes)?,
        _ => bail!("--codes {name}: expected a .csv or .npy file"),
    };
    let note = match data.features {
        f if f == k => return Ok((data, None)),
        f if f == k + 1 => "its last column (the labels encode writes) is not part of the codes",
        f if f == 2 * k => {
            "its last k columns (a VAE's log σ², from encode --logvar) are not part of the codes"
        }
        f if f == 2 * k + 1 => {
            "its columns after the first k (a VAE's log σ², then the labels) are not part of the codes"
        }
        f => bail!("{name}: codes have {f} values, the model's latent size is {k}"),
    };
    let values = data
        .values
        .chunks(data.features)
        .flat_map(|r| r[..k].to_vec())
        .collect();
    Ok((
        hourglass_core::data::Dataset::new(name, k, values, None)?,
        Some(format!(
            "{name}: decoding the first {k} values of each row; {note}"
        )),
    ))
}

pub fn decode(args: DecodeArgs) -> Result<()> {
    check_output(&args.out, &[&args.model, &args.codes], &["png", "csv"])?;
    let (ck, model) = load_model(&args.model)?;
    let k = model.arch.latent_size();
    let name = args.codes.display().to_string();
    let bytes = read_file(&args.codes)?;
    let (codes, note) = read_codes(&name, &bytes, &extension(&args.codes), k)?;
    if let Some(note) = note {
        eprintln!("note: {note}");
    }
    let png = extension(&args.out) == "png";
    let shape = if png {
        Some(image_shape(&ck, &args.out)?)
    } else {
        None
    };
    if args.count == Some(0) || args.cols == 0 {
        bail!("--count and --cols must be at least 1");
    }
    let n = args
        .count
        .unwrap_or(if png { 64 } else { codes.len() })
        .min(codes.len());
    let out = model.decode_host(&codes.values[..n * k], 512);
    write_decoded(
        &args.out,
        shape,
        &out,
        model.arch.input_size(),
        (args.cols, args.scale),
        ck.config.dataset.scaling,
    )?;
    if n < codes.len() {
        eprintln!(
            "decoded the first {n} of {} codes to {} (--count N for more)",
            codes.len(),
            args.out.display()
        );
    } else {
        eprintln!("decoded {n} codes to {}", args.out.display());
    }
    Ok(())
}

pub fn reconstruct(args: ReconstructArgs) -> Result<()> {
    if args.count == 0 || args.count > 1024 {
        bail!("--count {} is outside 1..=1024", args.count);
    }
    check_output(
        &args.out,
        &[&args.model, &dataset_file(&args.data)],
        &["png", "csv"],
    )?;
    let (ck, model) = load_model(&args.model)?;
    let shape = if extension(&args.out) == "png" {
        Some(image_shape(&ck, &args.out)?)
    } else {
        None
    };
    let data = datasets::load_for_model(
        &args.data,
        datasets::split_of(&args.data, args.split)?,
        &ck.config.dataset,
    )?;
    let data = data.take(args.count);
    let rec = model.reconstruct_host(&data.values, 512);
    let f = data.features;
    let Some(shape) = shape else {
        let cols: Vec<String> = (0..f).map(|i| format!("x{i}")).collect();
        // in the data's own units, as they were read (the model's scaling undone)
        let mut rec = rec;
        ck.config.dataset.scaling.restore(&mut rec);
        write_atomic(&args.out, &write_csv(&cols, data.len(), &rec, None))?;
        eprintln!(
            "wrote the reconstructions of {} samples to {}",
            data.len(),
            args.out.display()
        );
        return Ok(());
    };
    // originals fill whole rows first, then the reconstructions in the same places below
    let cols = args.cols.clamp(1, data.len());
    let rows = data.len().div_ceil(cols);
    let blank = vec![1.0f32; f];
    let mut images: Vec<&[f32]> = Vec::new();
    for source in [&data.values, &rec] {
        for i in 0..rows * cols {
            images.push(if i < data.len() {
                &source[i * f..(i + 1) * f]
            } else {
                &blank
            });
        }
    }
    write_grid(
        &args.out,
        &images,
        shape,
        cols,
        grid_scale(args.scale, shape)?,
    )?;
    eprintln!(
        "wrote {} originals and their reconstructions to {}",
        data.len(),
        args.out.display()
    );
    Ok(())
}

pub fn sample(args: SampleArgs) -> Result<()> {
    if args.count == 0 || args.count > 4096 || args.cols == 0 {
        bail!(
            "--count {} must be in 1..=4096 and --cols at least 1",
            args.count
        );
    }
    check_output(&args.out, &[&args.model], &["png", "csv"])?;
    let (ck, model) = load_model(&args.model)?;
    if model.arch.code() != Code::Gaussian {
        eprintln!(
            "note: {} is not a VAE; its codes were never pulled toward N(0, I), so codes drawn \
             from it may decode to no digit at all (that is why the VAE exists)",
            args.model.display()
        );
    }
    let k = model.arch.latent_size();
    let codes = hourglass_core::latent::prior_codes(args.count, k, args.seed);
    let out = model.decode_host(&codes, 512);
    let shape = if extension(&args.out) == "png" {
        Some(image_shape(&ck, &args.out)?)
    } else {
        None
    };
    write_decoded(
        &args.out,
        shape,
        &out,
        model.arch.input_size(),
        (args.cols, args.scale),
        ck.config.dataset.scaling,
    )?;
    eprintln!(
        "decoded {} codes drawn from N(0, I) (seed {}) to {}",
        args.count,
        args.seed,
        args.out.display()
    );
    Ok(())
}
