//! Datasets: built-in patterns and 3D point sets, and readers for IDX, CSV, NPY and images.
//! Readers take bytes and a name for messages; finding files is the caller's business.

mod csv;
mod dataset;
mod idx;
mod images;
mod noise;
mod npy;
mod patches;
mod patterns;
mod points3d;
mod samples;

pub use csv::{LabelColumn, label_in_header, read_csv, write_csv, write_csv_named};
pub use dataset::{Dataset, Scaling, Split, shape_words, split_indices};
pub use idx::{IdxArray, MAX_IDX_BYTES, idx_dataset, maybe_gunzip, read_idx, write_idx};
pub use images::{
    ImageChanges, ImageColour, decode_image, decode_image_as, decode_image_native,
    encode_image_png, encode_png, image_grid, images_dataset, jpeg_scan,
};
pub use noise::{gaussian_noise, mask_noise};
pub use npy::{NpyHeader, read_npy, write_npy_f32};
pub use patches::photo_patches;
pub use patterns::{PATTERN_NAMES, PATTERNS};
pub use points3d::{MAX_POINTS, PointSet, Shape3d, points_from_csv, points3d};
pub use samples::{Samples, for_each_block};

/// The twelve glass-box patterns as a dataset of 3×3 images.
pub fn patterns_dataset() -> Dataset {
    let values = PATTERNS.iter().flatten().map(|&v| v as f32).collect();
    Dataset::new("patterns", 9, values, Some((0..12).collect()))
        .and_then(|d| d.with_image_shape(3, 3))
        .expect("the built-in patterns are well formed")
}
