//! Colour patches cut from photographs: a real colour data set small enough to ship.
//!
//! Each patch is a `size × size` square at a seeded random place in one photograph, in
//! red, green and blue planes (C×H×W); its label is the photograph it came from. The
//! training patches come from the left three quarters of each photograph and the test
//! patches from the right quarter, so no test pixel was seen in training.

use super::{Dataset, Split};
use crate::{Error, rng::Rng};

/// Patches cut from `photos` (`(name, JPEG or PNG bytes)`), `count` of them, from the part of
/// each photograph that `split` keeps, drawn from `seed`.
pub fn photo_patches(
    name: &str,
    photos: &[(&str, &[u8])],
    split: Split,
    count: usize,
    size: usize,
    seed: u64,
) -> Result<Dataset, Error> {
    if photos.is_empty() || count == 0 || size == 0 {
        return Err(Error::invalid(format!(
            "{name}: {count} patches of {size}×{size} from {} photographs",
            photos.len()
        )));
    }
    let mut decoded = Vec::with_capacity(photos.len());
    for &(photo, bytes) in photos {
        let img = image::load_from_memory(bytes)
            .map_err(|e| Error::format(photo, format!("not a readable image ({e})")))?
            .to_rgb8();
        let (w, h) = (img.width() as usize, img.height() as usize);
        // the columns this split cuts from: [from, to)
        let cut = w * 3 / 4;
        let (from, to) = match split {
            Split::Train => (0, cut),
            Split::Test => (cut, w),
        };
        if to - from < size || h < size {
            return Err(Error::format(
                photo,
                format!("a {w}×{h} photograph has no room for {size}×{size} patches"),
            ));
        }
        decoded.push((img, from, to, h));
    }
    let plane = size * size;
    let mut values = Vec::with_capacity(count * 3 * plane);
    let mut labels = Vec::with_capacity(count);
    // the test split draws from its own stream, so the two never share a draw
    let mut rng = Rng::new(seed ^ if split == Split::Test { 0x7e57 } else { 0 });
    for _ in 0..count {
        let p = rng.below(decoded.len());
        let (img, from, to, h) = &decoded[p];
        let x0 = from + rng.below(to - from - size + 1);
        let y0 = rng.below(h - size + 1);
        for c in 0..3 {
            for y in 0..size {
                for x in 0..size {
                    let px = img.get_pixel((x0 + x) as u32, (y0 + y) as u32);
                    values.push(px.0[c] as f32 / 255.0);
                }
            }
        }
        labels.push(p as u32);
    }
    Ok(Dataset::new(name, 3 * plane, values, Some(labels))?
        .with_images(3, size, size)?
        .with_classes(photos.iter().map(|(n, _)| n.to_string()).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::encode_image_png;

    /// A 16×8 photograph whose red value is its column and green its row (in 255ths).
    fn photo() -> Vec<u8> {
        let (h, w) = (8usize, 16usize);
        let mut v = vec![0f32; 3 * h * w];
        for y in 0..h {
            for x in 0..w {
                v[y * w + x] = x as f32 / 255.0;
                v[h * w + y * w + x] = y as f32 / 255.0;
                v[2 * h * w + y * w + x] = 1.0;
            }
        }
        encode_image_png(&v, 3, h as u32, w as u32).unwrap()
    }

    #[test]
    fn patches_come_from_their_split_of_the_photograph_seeded() {
        let png = photo();
        let photos = [("a", png.as_slice()), ("b", png.as_slice())];
        let train = photo_patches("p", &photos, Split::Train, 50, 4, 1).unwrap();
        let test = photo_patches("p", &photos, Split::Test, 50, 4, 1).unwrap();
        assert_eq!(train.image_dims(), Some([3, 4, 4]));
        assert_eq!(train.classes, Some(vec!["a".into(), "b".into()]));
        let left = |d: &Dataset, i: usize| (d.sample(i)[0] * 255.0).round() as usize;
        let top = |d: &Dataset, i: usize| (d.sample(i)[16] * 255.0).round() as usize;
        for i in 0..50 {
            // train: columns 0..12, test: 12..16 (a 4-wide patch fits there once)
            assert!(left(&train, i) + 4 <= 12, "{}", left(&train, i));
            assert_eq!(left(&test, i), 12);
            assert!(top(&train, i) + 4 <= 8);
            // a patch is a square of the photograph: red rises along x, green along y
            let s = train.sample(i);
            assert_eq!((s[3] * 255.0).round() as usize, left(&train, i) + 3);
            assert_eq!((s[16 + 12] * 255.0).round() as usize, top(&train, i) + 3);
            assert_eq!(s[32], 1.0);
        }
        // seeded: the same seed cuts the same patches, another seed others
        assert_eq!(
            photo_patches("p", &photos, Split::Train, 50, 4, 1).unwrap(),
            train
        );
        assert_ne!(
            photo_patches("p", &photos, Split::Train, 50, 4, 2)
                .unwrap()
                .values,
            train.values
        );
        let labels = train.labels.as_ref().unwrap();
        assert!(labels.contains(&0) && labels.contains(&1));
    }

    #[test]
    fn no_room_and_bad_photographs_are_refused() {
        let png = photo();
        let e = photo_patches("p", &[("a", &png)], Split::Test, 5, 6, 1).unwrap_err();
        assert!(e.to_string().contains("no room for 6×6"), "{e}");
        let e = photo_patches("p", &[("x.jpg", b"nope")], Split::Train, 5, 4, 1).unwrap_err();
        assert!(e.to_string().starts_with("x.jpg"), "{e}");
    }
}
