//! NumPy's .npy format (versions 1–3): float32, float64 or uint8 arrays, 2-D, 3-D or 4-D.
//!
//! Hand-written: the header is a short Python-literal dict, and parsing it here lets every
//! refusal name the exact fault (dtype, order, shape, length).

use super::Dataset;
use crate::Error;

const MAGIC: &[u8] = b"\x93NUMPY";

#[derive(Debug, Clone, Copy, PartialEq)]
enum Dtype {
    F4,
    F8,
    U1,
}

fn header_value<'a>(header: &'a str, key: &str) -> Option<&'a str> {
    let k = header.find(&format!("'{key}'"))?;
    let rest = &header[k + key.len() + 2..];
    let colon = rest.find(':')?;
    Some(rest[colon + 1..].trim_start())
}

/// An .npy file's header: the values' type and shape, and where they start. Read from the
/// first bytes of a file, it lets a reader take one sample at a time from disk
/// ([`NpyHeader::decode`]) and get the values [`read_npy`] holds for it.
#[derive(Debug, Clone, PartialEq)]
pub struct NpyHeader {
    dtype: Dtype,
    /// `(samples, …)`: 2, 3 or 4 dimensions.
    pub shape: Vec<usize>,
    layout: Option<Layout>,
    /// Where the values start: bytes from the file's beginning.
    pub data_start: usize,
}

impl NpyHeader {
    /// Reads the header at the start of `bytes` (the whole file, or at least its header).
    pub fn parse(name: &str, bytes: &[u8]) -> Result<NpyHeader, Error> {
        if !bytes.starts_with(MAGIC) || bytes.len() < 10 {
            return Err(Error::format(
                name,
                "not an .npy file (it does not start with NumPy's magic bytes)",
            ));
        }
        let major = bytes[6];
        let (hlen, start) = match major {
            1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10),
            2 | 3 => {
                if bytes.len() < 12 {
                    return Err(Error::format(name, "truncated .npy header"));
                }
                (
                    u32::from_le_bytes(bytes[8..12].try_into().expect("4 bytes")) as usize,
                    12,
                )
            }
            v => {
                return Err(Error::format(
                    name,
                    format!(".npy format version {v} is not supported"),
                ));
            }
        };
        let header = bytes
            .get(start..start + hlen)
            .ok_or_else(|| Error::format(name, "truncated .npy header"))?;
        let header = std::str::from_utf8(header)
            .map_err(|_| Error::format(name, ".npy header is not text"))?;
        let descr = header_value(header, "descr")
            .and_then(|v| v.strip_prefix('\''))
            .and_then(|v| v.split('\'').next())
            .ok_or_else(|| Error::format(name, ".npy header has no 'descr'"))?;
        let dtype = match descr {
            "<f4" => Dtype::F4,
            "<f8" => Dtype::F8,
            "|u1" | "<u1" | "u1" => Dtype::U1,
            other => {
                return Err(Error::format(
                    name,
                    format!(
                        "unsupported dtype '{other}' (supported: float32 '<f4', float64 '<f8', uint8 '|u1')"
                    ),
                ));
            }
        };
        if header_value(header, "fortran_order").is_some_and(|v| v.starts_with("True")) {
            return Err(Error::format(
                name,
                "Fortran-ordered arrays are not supported (save with C order)",
            ));
        }
        let shape_txt = header_value(header, "shape")
            .and_then(|v| v.strip_prefix('('))
            .and_then(|v| v.split(')').next())
            .ok_or_else(|| Error::format(name, ".npy header has no 'shape'"))?;
        let shape: Vec<usize> = shape_txt
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| s.parse::<usize>())
            .collect::<Result<_, _>>()
            .map_err(|_| Error::format(name, format!("malformed shape ({shape_txt})")))?;
        if !(2..=4).contains(&shape.len()) {
            return Err(Error::format(
                name,
                format!(
                    "array has {} dimensions {shape:?}; expected 2 (samples, features), 3 (samples, height, width) or 4 (samples, height, width, channels)",
                    shape.len()
                ),
            ));
        }
        let layout = if shape.len() == 4 {
            Some(image_layout(name, &shape)?)
        } else {
            None
        };
        let h = NpyHeader {
            dtype,
            shape,
            layout,
            data_start: start + hlen,
        };
        h.data_bytes(name)?;
        Ok(h)
    }

    /// Samples in the file.
    pub fn samples(&self) -> usize {
        self.shape[0]
    }

    /// Values per sample.
    pub fn features(&self) -> usize {
        self.shape[1..].iter().product()
    }

    /// Bytes per value.
    fn width(&self) -> usize {
        match self.dtype {
            Dtype::F4 => 4,
            Dtype::F8 => 8,
            Dtype::U1 => 1,
        }
    }

    /// Bytes per sample.
    pub fn sample_bytes(&self) -> usize {
        self.features() * self.width()
    }

    /// Bytes of all the values (the file's length less [`NpyHeader::data_start`]).
    pub fn data_bytes(&self, name: &str) -> Result<usize, Error> {
        self.shape
            .iter()
            .try_fold(self.width(), |a, &d| a.checked_mul(d))
            .ok_or_else(|| Error::format(name, "shape overflows"))
    }

    /// Whether values may fall outside [0, 1] (floats; uint8 is scaled to [0, 1]).
    pub fn is_float(&self) -> bool {
        self.dtype != Dtype::U1
    }

    /// The images' `[channels, height, width]`: 3-D arrays are grey images, 4-D ones grey or
    /// colour (None for 2-D rows).
    pub fn image_dims(&self) -> Option<[usize; 3]> {
        let s = &self.shape;
        match (s.len(), self.layout) {
            (3, _) => Some([1, s[1], s[2]]),
            (4, Some(Layout::ChannelsFirst)) => Some([s[1], s[2], s[3]]),
            (4, _) => Some([s[3], s[1], s[2]]),
            _ => None,
        }
    }

    /// Appends the values of whole samples' `bytes` to `out`, channel-first; uint8 values
    /// scaled to [0, 1].
    pub fn decode(&self, bytes: &[u8], out: &mut Vec<f32>) {
        let at = out.len();
        match self.dtype {
            Dtype::F4 => out.extend(
                bytes
                    .chunks_exact(4)
                    .map(|c| f32::from_le_bytes(c.try_into().expect("4"))),
            ),
            Dtype::F8 => out.extend(
                bytes
                    .chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().expect("8")) as f32),
            ),
            Dtype::U1 => out.extend(bytes.iter().map(|&b| b as f32 / 255.0)),
        }
        if self.layout == Some(Layout::ChannelsLast) {
            let (h, w, c) = (self.shape[1], self.shape[2], self.shape[3]);
            let planar = channels_first(&out[at..], h * w, c);
            out.truncate(at);
            out.extend(planar);
        }
    }
}

/// Parses an .npy file into a dataset: 2-D `(samples, features)`, 3-D
/// `(samples, height, width)` grey images, or 4-D images of 1 or 3 channels, channels last
/// `(samples, height, width, channels)` or first `(samples, channels, height, width)` (kept
/// channel-first). uint8 values are scaled to [0, 1].
pub fn read_npy(name: &str, bytes: &[u8]) -> Result<Dataset, Error> {
    let header = NpyHeader::parse(name, bytes)?;
    let body = &bytes[header.data_start.min(bytes.len())..];
    let need = header.data_bytes(name)?;
    if body.len() != need {
        return Err(Error::format(
            name,
            format!(
                "shape {:?} needs {need} data bytes, file has {}",
                header.shape,
                body.len()
            ),
        ));
    }
    let mut values = Vec::with_capacity(need / header.width());
    header.decode(body, &mut values);
    let d = Dataset::new(name, header.features(), values, None)?;
    match (header.shape.len(), header.image_dims()) {
        (3, _) => d.with_image_shape(header.shape[1], header.shape[2]),
        (4, Some([c, h, w])) => d.with_images(c, h, w),
        _ => Ok(d),
    }
}

/// Where a 4-D array's channels are.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Layout {
    ChannelsFirst,
    ChannelsLast,
}

/// A 4-D shape's layout: channels (1 or 3) last, as NumPy and PIL hold images, or first, as
/// PyTorch does; refused when neither or both could be.
fn image_layout(name: &str, shape: &[usize]) -> Result<Layout, Error> {
    let is_channels = |n: usize| matches!(n, 1 | 3);
    match (is_channels(shape[1]), is_channels(shape[3])) {
        (false, true) => Ok(Layout::ChannelsLast),
        (true, false) => Ok(Layout::ChannelsFirst),
        (true, true) => Err(Error::format(
            name,
            format!(
                "shape {shape:?}: cannot tell whether the channels are first or last (both sides could be 1 or 3); save images of at least 4×4 pixels"
            ),
        )),
        (false, false) => Err(Error::format(
            name,
            format!(
                "shape {shape:?}: 4-D arrays are images with 1 or 3 channels, (samples, height, width, channels) or (samples, channels, height, width)"
            ),
        )),
    }
}

/// Interleaved pixels (H×W×C per sample) as channel-first planes (C×H×W).
fn channels_first(values: &[f32], plane: usize, c: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(values.len());
    for sample in values.chunks_exact(plane * c) {
        for ch in 0..c {
            out.extend(sample.iter().skip(ch).step_by(c));
        }
    }
    out
}

/// Encodes a 2-D float32 array as .npy (version 1).
pub fn write_npy_f32(rows: usize, cols: usize, values: &[f32]) -> Vec<u8> {
    let mut header =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({rows}, {cols}), }}");
    // pad so that magic + version + length + header is a multiple of 64, ending in '\n'
    let total = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - total % 64) % 64));
    header.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(descr: &str, shape: &str, body: &[u8]) -> Vec<u8> {
        let header =
            format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}\n");
        let mut out = MAGIC.to_vec();
        out.extend_from_slice(&[1, 0]);
        out.extend_from_slice(&(header.len() as u16).to_le_bytes());
        out.extend_from_slice(header.as_bytes());
        out.extend_from_slice(body);
        out
    }

    #[test]
    fn reads_each_supported_dtype() {
        let f4 = write_npy_f32(2, 2, &[1.0, 2.0, 3.0, 4.0]);
        assert_eq!(read_npy("a", &f4).unwrap().values, vec![1.0, 2.0, 3.0, 4.0]);
        let body: Vec<u8> = [0.5f64, 0.25]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(
            read_npy("b", &npy("<f8", "(1, 2)", &body)).unwrap().values,
            vec![0.5, 0.25]
        );
        let d = read_npy("c", &npy("|u1", "(1, 2, 2)", &[0, 255, 51, 0])).unwrap();
        assert_eq!(d.image_shape, Some([2, 2]));
        assert_eq!(d.values[1], 1.0);
    }

    #[test]
    fn four_dimensional_images_are_kept_channel_first() {
        // one 2×2 RGB image, channels last: pixel p has (p, 10 + p, 20 + p)
        let last: Vec<u8> = (0..4u8).flat_map(|p| [p, 10 + p, 20 + p]).collect();
        let d = read_npy("hwc", &npy("|u1", "(1, 2, 2, 3)", &last)).unwrap();
        assert_eq!((d.channels, d.image_dims()), (3, Some([3, 2, 2])));
        let want: Vec<f32> = [0u8, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23]
            .iter()
            .map(|&b| b as f32 / 255.0)
            .collect();
        assert_eq!(d.values, want);
        // the same image channels first reads the same
        let first: Vec<u8> = [0u8, 1, 2, 3, 10, 11, 12, 13, 20, 21, 22, 23].to_vec();
        let d2 = read_npy("chw", &npy("|u1", "(1, 3, 2, 2)", &first)).unwrap();
        assert_eq!(d2.values, want);
        assert_eq!(d2.image_dims(), Some([3, 2, 2]));
        // one channel last is grey
        let g = read_npy("g", &npy("|u1", "(1, 5, 4, 1)", &[0; 20])).unwrap();
        assert_eq!(g.image_dims(), Some([1, 5, 4]));
        // neither side a channel count, or both: said
        let e = read_npy("x", &npy("|u1", "(1, 5, 4, 2)", &[0; 40])).unwrap_err();
        assert!(e.to_string().contains("1 or 3 channels"), "{e}");
        let e = read_npy("y", &npy("|u1", "(1, 3, 4, 3)", &[0; 36])).unwrap_err();
        assert!(e.to_string().contains("cannot tell"), "{e}");
    }

    #[test]
    fn a_header_read_alone_decodes_a_sample_as_the_whole_file_reads_it() {
        // two 2×2 colour images, channels last; and float rows
        let last: Vec<u8> = (0..24u8).map(|b| b * 10).collect();
        let bytes = npy("|u1", "(2, 2, 2, 3)", &last);
        let whole = read_npy("w", &bytes).unwrap();
        let h = NpyHeader::parse("w", &bytes[..bytes.len() - 24]).unwrap();
        assert_eq!((h.samples(), h.features(), h.sample_bytes()), (2, 12, 12));
        assert_eq!(h.image_dims(), Some([3, 2, 2]));
        assert!(!h.is_float());
        let mut one = vec![];
        h.decode(&bytes[h.data_start + 12..], &mut one);
        assert_eq!(one, whole.sample(1));
        let f = write_npy_f32(3, 2, &[0.0, 2.0, -1.0, 4.0, 5.0, 6.0]);
        let h = NpyHeader::parse("f", &f).unwrap();
        assert_eq!(
            (h.image_dims(), h.is_float(), h.sample_bytes()),
            (None, true, 8)
        );
        let mut row = vec![];
        h.decode(&f[h.data_start + 8..h.data_start + 16], &mut row);
        assert_eq!(row, [-1.0, 4.0]);
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        let err = read_npy("i.npy", &npy("<i8", "(1, 1)", &[0; 8]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("i.npy") && err.contains("unsupported dtype '<i8'"),
            "{err}"
        );
        assert!(
            read_npy("s", &npy("<f4", "(4,)", &[0; 16]))
                .unwrap_err()
                .to_string()
                .contains("dimensions")
        );
        assert!(
            read_npy("t", &npy("<f4", "(2, 2)", &[0; 15]))
                .unwrap_err()
                .to_string()
                .contains("needs 16")
        );
        assert!(read_npy("m", b"hello world").is_err());
    }
}
