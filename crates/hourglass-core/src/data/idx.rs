//! The IDX format of MNIST and Fashion-MNIST (LeCun et al.), raw or gzip-compressed.
//!
//! Layout: two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions,
//! each dimension as a big-endian u32, then the data. Hand-written: the format is four
//! lines long and the crates for it do not check lengths or name faults.

use std::io::Read;

use super::Dataset;
use crate::Error;

/// Decompressed IDX files larger than this are refused (MNIST's largest is 47 MB).
pub const MAX_IDX_BYTES: u64 = 1 << 30;

/// An IDX array of unsigned bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct IdxArray {
    pub dims: Vec<usize>,
    pub data: Vec<u8>,
}

/// Returns the bytes, decompressed if they start with the gzip magic number.
pub fn maybe_gunzip(name: &str, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_IDX_BYTES + 1)
            .read_to_end(&mut out)
            .map_err(|e| Error::format(name, format!("broken gzip data ({e})")))?;
        if out.len() as u64 > MAX_IDX_BYTES {
            return Err(Error::format(name, "decompresses to more than 1 GiB"));
        }
        Ok(out)
    } else {
        Ok(bytes.to_vec())
    }
}

/// Parses an IDX file (raw or .gz) of unsigned bytes.
pub fn read_idx(name: &str, bytes: &[u8]) -> Result<IdxArray, Error> {
    let raw = maybe_gunzip(name, bytes)?;
    if raw.len() < 4 {
        return Err(Error::format(
            name,
            format!("only {} bytes: too short for an IDX header", raw.len()),
        ));
    }
    if raw[0] != 0 || raw[1] != 0 {
        return Err(Error::format(
            name,
            format!(
                "wrong magic number 0x{:02x}{:02x}{:02x}{:02x} (not an IDX file)",
                raw[0], raw[1], raw[2], raw[3]
            ),
        ));
    }
    if raw[2] != 0x08 {
        return Err(Error::format(
            name,
            format!(
                "IDX element type 0x{:02x} is not supported (only 0x08, unsigned byte)",
                raw[2]
            ),
        ));
    }
    let ndims = raw[3] as usize;
    if ndims == 0 {
        return Err(Error::format(name, "IDX header declares 0 dimensions"));
    }
    let header = 4 + 4 * ndims;
    if raw.len() < header {
        return Err(Error::format(
            name,
            format!(
                "truncated header: {ndims} dimensions need {header} bytes, file has {}",
                raw.len()
            ),
        ));
    }
    let dims: Vec<usize> = (0..ndims)
        .map(|d| {
            u32::from_be_bytes(raw[4 + 4 * d..8 + 4 * d].try_into().expect("4 bytes")) as usize
        })
        .collect();
    let count = dims.iter().try_fold(1usize, |a, &d| a.checked_mul(d));
    let count = count
        .filter(|&c| c as u64 <= MAX_IDX_BYTES)
        .ok_or_else(|| Error::format(name, format!("dimensions {dims:?} are implausibly large")))?;
    let body = raw.len() - header;
    if body < count {
        return Err(Error::format(
            name,
            format!("truncated: dimensions {dims:?} need {count} data bytes, file has {body}"),
        ));
    }
    if body > count {
        return Err(Error::format(
            name,
            format!(
                "{} trailing bytes after the {count} data bytes of dimensions {dims:?}",
                body - count
            ),
        ));
    }
    Ok(IdxArray {
        dims,
        data: raw[header..].to_vec(),
    })
}

/// Builds an image dataset from an IDX image file (3-D) and an optional label file (1-D),
/// scaling pixels to [0, 1].
pub fn idx_dataset(
    name: &str,
    images: (&str, &[u8]),
    labels: Option<(&str, &[u8])>,
) -> Result<Dataset, Error> {
    let img = read_idx(images.0, images.1)?;
    if img.dims.len() != 3 {
        return Err(Error::format(
            images.0,
            format!(
                "an image file needs 3 dimensions (count, rows, columns), found {:?}",
                img.dims
            ),
        ));
    }
    let (n, h, w) = (img.dims[0], img.dims[1], img.dims[2]);
    let labels = match labels {
        None => None,
        Some((lname, lbytes)) => {
            let lab = read_idx(lname, lbytes)?;
            if lab.dims.len() != 1 {
                return Err(Error::format(
                    lname,
                    format!("a label file needs 1 dimension, found {:?}", lab.dims),
                ));
            }
            if lab.dims[0] != n {
                return Err(Error::format(
                    lname,
                    format!("{} labels for {n} images in {}", lab.dims[0], images.0),
                ));
            }
            Some(lab.data.into_iter().map(u32::from).collect())
        }
    };
    let values = img.data.into_iter().map(|b| b as f32 / 255.0).collect();
    Dataset::new(name, h * w, values, labels)?.with_image_shape(h, w)
}

/// Encodes an IDX file of unsigned bytes (used by tests and by `data` tooling).
pub fn write_idx(dims: &[usize], data: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, dims.len() as u8];
    for &d in dims {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_raw_and_gzip() {
        let bytes = write_idx(&[2, 2, 3], &[0, 255, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        let a = read_idx("x", &bytes).unwrap();
        assert_eq!(a.dims, vec![2, 2, 3]);
        let mut gz = Vec::new();
        {
            use std::io::Write;
            let mut e = flate2::write::GzEncoder::new(&mut gz, flate2::Compression::fast());
            e.write_all(&bytes).unwrap();
        }
        assert_eq!(read_idx("x.gz", &gz).unwrap(), a);
        let d = idx_dataset("toy", ("x", &bytes), Some(("y", &write_idx(&[2], &[3, 7])))).unwrap();
        assert_eq!(d.len(), 2);
        assert_eq!(d.sample(0)[1], 1.0);
        assert_eq!(d.labels, Some(vec![3, 7]));
        assert_eq!(d.image_shape, Some([2, 3]));
    }

    #[test]
    fn faults_are_named() {
        let good = write_idx(&[2, 2, 2], &[0; 8]);
        let err = read_idx("t.idx", &good[..good.len() - 1])
            .unwrap_err()
            .to_string();
        assert!(err.contains("t.idx") && err.contains("truncated"), "{err}");
        let mut bad = good.clone();
        bad[0] = 0x12;
        let err = read_idx("m.idx", &bad).unwrap_err().to_string();
        assert!(err.contains("m.idx") && err.contains("magic"), "{err}");
        let mut long = good.clone();
        long.push(0);
        assert!(
            read_idx("l", &long)
                .unwrap_err()
                .to_string()
                .contains("trailing")
        );
        assert!(read_idx("s", &[0, 0]).is_err());
        assert!(
            read_idx("h", &[0, 0, 8, 3, 0, 0])
                .unwrap_err()
                .to_string()
                .contains("header")
        );
        let labels = write_idx(&[3], &[1, 2, 3]);
        let err = idx_dataset("d", ("i", &good), Some(("lab", &labels)))
            .unwrap_err()
            .to_string();
        assert!(err.contains("3 labels for 2 images"), "{err}");
    }
}
