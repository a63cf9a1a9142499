//! Data sets people upload from a page: a CSV, an NPY array, or a .zip of PNG/JPEG images in
//! class folders — read by the engine's readers, the ones `hourglass train --dataset FILE`
//! uses. An archive is bounded before it is expanded (entries, each entry's real size, the
//! total), so a zip bomb is refused, not unpacked. Uploads are kept in their own folder under
//! names checked as model names are, so a name never leaves it.

use std::{
    io::{Cursor, Read},
    path::{Path, PathBuf},
};

use anyhow::{Result, anyhow, bail};
use hourglass_core::data::{self, Dataset, LabelColumn};

use crate::models::check_name;

/// Largest upload accepted (the body of the request).
pub const MAX_UPLOAD_BYTES: usize = 256 << 20;
/// Most entries of an archive.
pub const MAX_ENTRIES: usize = 100_000;
/// Largest image inside an archive, expanded.
pub const MAX_ENTRY_BYTES: u64 = 16 << 20;
/// Most bytes an archive may expand to in all.
pub const MAX_EXPANDED_BYTES: u64 = 1 << 30;
/// Extensions of the files an upload may be.
pub const KINDS: [&str; 4] = ["csv", "txt", "npy", "zip"];

/// The stored file of the upload `name` (e.g. `digits.csv`) in `dir`, or why the name cannot
/// be one.
pub fn upload_path(dir: &Path, name: &str) -> Result<PathBuf, String> {
    let (stem, ext) = name
        .rsplit_once('.')
        .ok_or_else(|| format!("'{name}' has no extension: upload a .csv, .npy or .zip file"))?;
    let ext = ext.to_ascii_lowercase();
    if !KINDS.contains(&ext.as_str()) {
        return Err(format!("'{name}' is not a .csv, .npy or .zip file"));
    }
    check_name(stem)?;
    Ok(dir.join(format!("{stem}.{ext}")))
}

/// The uploads of `dir`, sorted (names with their extension).
pub fn list(dir: &Path) -> Vec<String> {
    crate::models::files_in(dir, |n| upload_path(dir, n).is_ok())
}

fn is_image(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".png") || lower.ends_with(".jpg") || lower.ends_with(".jpeg")
}

/// Reads an upload called `name` (its extension says what it is). A CSV with a column headed
/// `label` takes it as the labels; else one whose rows have 785
/// values and whose first column holds whole numbers 0–9 (MNIST's CSV layout) takes that
/// column as the label. Images are read as `size`×`size`, in colour when any has colour; an archive's images in
/// a folder are labelled by the folder (folders in name order: 0, 1, …).
pub fn read(name: &str, bytes: &[u8], size: u32) -> Result<Dataset> {
    Ok(read_noting(name, bytes, size)?.0)
}

/// [`read`], with what making an archive's images fit changed (grey given three channels,
/// sizes resized), in a sentence for the person who uploaded it.
pub fn read_noting(name: &str, bytes: &[u8], size: u32) -> Result<(Dataset, Option<String>)> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".zip") {
        let (data, changed) = read_zip(name, bytes, size)?;
        return Ok((data, changed.sentence(size, size)));
    }
    Ok((read_table(name, &lower, bytes, size)?, None))
}

fn read_table(name: &str, lower: &str, bytes: &[u8], size: u32) -> Result<Dataset> {
    if lower.ends_with(".csv") || lower.ends_with(".txt") {
        // a column headed `label` holds the labels
        if let Some(label) = data::label_in_header(bytes) {
            return Ok(data::read_csv(name, bytes, Some(&label))?);
        }
        let plain = data::read_csv(name, bytes, None)?;
        let side = (size * size) as usize;
        if plain.features == side + 1 {
            let first_is_label = (0..plain.len()).all(|i| {
                let v = plain.sample(i)[0];
                v.fract() == 0.0 && (0.0..=9.0).contains(&v)
            });
            if first_is_label {
                return Ok(data::read_csv(name, bytes, Some(&LabelColumn::Index(0)))?);
            }
        }
        return Ok(plain);
    }
    if lower.ends_with(".npy") {
        return Ok(data::read_npy(name, bytes)?);
    }
    bail!("{name}: not a .csv, .npy or .zip file")
}

fn read_zip(name: &str, bytes: &[u8], size: u32) -> Result<(Dataset, data::ImageChanges)> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| anyhow!("{name}: not a readable .zip archive ({e})"))?;
    if zip.len() > MAX_ENTRIES {
        bail!(
            "{name}: {} entries; an upload holds at most {MAX_ENTRIES}",
            zip.len()
        );
    }
    // (folder, path, bytes) of every image, folders named by their path in the archive
    let mut images: Vec<(String, String, Vec<u8>)> = Vec::new();
    let mut expanded = 0u64;
    for i in 0..zip.len() {
        let mut entry = zip
            .by_index(i)
            .map_err(|e| anyhow!("{name}: entry {i} cannot be read ({e})"))?;
        if entry.is_dir() {
            continue;
        }
        let Some(path) = entry.enclosed_name() else {
            bail!(
                "{name}: entry '{}' points outside the archive",
                entry.name()
            );
        };
        let path = path.to_string_lossy().replace('\\', "/");
        if !is_image(&path)
            || path
                .split('/')
                .any(|p| p.starts_with('.') || p == "__MACOSX")
        {
            continue;
        }
        // the real size is counted as it is read: a header may lie
        let mut buf = Vec::new();
        let read = (&mut entry)
            .take(MAX_ENTRY_BYTES + 1)
            .read_to_end(&mut buf)
            .map_err(|e| anyhow!("{name}: {path} cannot be expanded ({e})"))?;
        if read as u64 > MAX_ENTRY_BYTES {
            bail!(
                "{name}: {path} expands to more than {} MB; images in an upload are smaller",
                MAX_ENTRY_BYTES >> 20
            );
        }
        expanded += read as u64;
        if expanded > MAX_EXPANDED_BYTES {
            bail!(
                "{name}: expands to more than {} MB in all; an upload is at most that",
                MAX_EXPANDED_BYTES >> 20
            );
        }
        let folder = path.rsplit_once('/').map_or("", |(f, _)| f).to_string();
        images.push((folder, path, buf));
    }
    images.sort_by(|a, b| a.1.cmp(&b.1));
    let mut folders: Vec<&str> = images.iter().map(|(f, _, _)| f.as_str()).collect();
    folders.sort();
    folders.dedup();
    let labelled = !folders.contains(&"");
    let files: Vec<(String, Vec<u8>, Option<u32>)> = images
        .iter()
        .map(|(folder, path, bytes)| {
            let label = labelled
                .then(|| folders.iter().position(|f| f == folder).map(|i| i as u32))
                .flatten();
            (format!("{name}:{path}"), bytes.clone(), label)
        })
        .collect();
    // colour when any image has colour (a grey one among them then gets three channels, said)
    let (data, changed) =
        data::images_dataset(name, &files, size, size, data::ImageColour::AsTheyAre)?;
    // the folders name the classes
    let data = if labelled {
        data.with_classes(
            folders
                .iter()
                .map(|f| f.rsplit('/').next().unwrap_or(f).to_string())
                .collect(),
        )
    } else {
        data
    };
    Ok((data, changed))
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn zip_of(entries: &[(&str, Vec<u8>)]) -> Vec<u8> {
        let mut w = zip::ZipWriter::new(Cursor::new(Vec::new()));
        let opts = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated);
        for (name, bytes) in entries {
            w.start_file(*name, opts).unwrap();
            w.write_all(bytes).unwrap();
        }
        w.finish().unwrap().into_inner()
    }

    fn png(v: f32) -> Vec<u8> {
        data::encode_png(&vec![v; 28 * 28], 28, 28).unwrap()
    }

    #[test]
    fn an_archive_of_class_folders_is_labelled_by_folder() {
        let z = zip_of(&[
            ("cats/a.png", png(0.2)),
            ("dogs/b.png", png(0.8)),
            ("cats/c.png", png(0.4)),
            ("__MACOSX/cats/._a.png", b"junk".to_vec()),
            ("notes.txt", b"ignored".to_vec()),
        ]);
        let d = read("pets.zip", &z, 28).unwrap();
        assert_eq!((d.len(), d.features), (3, 784));
        assert_eq!(d.labels.as_deref(), Some(&[0, 0, 1][..]));
        assert!((d.sample(2)[0] - 0.8).abs() < 0.01);
    }

    #[test]
    fn a_zip_bomb_and_a_broken_archive_are_refused() {
        // 40 MB of zeros compresses to a few tens of kB
        let bomb = zip_of(&[("big/a.png", vec![0u8; 40 << 20])]);
        assert!(bomb.len() < 1 << 20);
        let e = read("bomb.zip", &bomb, 28).unwrap_err().to_string();
        assert!(e.contains("expands to more than 16 MB"), "{e}");
        let e = read("broken.zip", b"PK\x03\x04 not really", 28)
            .unwrap_err()
            .to_string();
        assert!(e.contains("not a readable .zip"), "{e}");
        let e = read("empty.zip", &zip_of(&[("a.txt", b"x".to_vec())]), 28)
            .unwrap_err()
            .to_string();
        assert!(e.contains("no PNG or JPEG images"), "{e}");
    }

    #[test]
    fn an_mnist_style_csv_takes_its_first_column_as_the_label() {
        let row = |label: u32, v: f32| {
            std::iter::once(label.to_string())
                .chain((0..784).map(|_| v.to_string()))
                .collect::<Vec<_>>()
                .join(",")
        };
        let text = format!("{}\n{}\n", row(3, 0.5), row(7, 0.25));
        let d = read("digits.csv", text.as_bytes(), 28).unwrap();
        assert_eq!((d.len(), d.features), (2, 784));
        assert_eq!(d.labels.unwrap(), [3, 7]);
    }

    #[test]
    fn upload_names_stay_in_their_folder() {
        let dir = Path::new("/u");
        assert_eq!(
            upload_path(dir, "my data.CSV").unwrap(),
            dir.join("my data.csv")
        );
        for bad in [
            "../x.csv",
            "a/b.zip",
            ".h.npy",
            "x.exe",
            "noext",
            "x.safetensors",
        ] {
            assert!(upload_path(dir, bad).is_err(), "{bad}");
        }
    }
}
