//! IDX files (raw or gzip), alone and as an images + labels pair.
#![no_main]
use hourglass_core::data::{idx_dataset, maybe_gunzip, read_idx};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(raw) = maybe_gunzip("f.gz", data) {
        let _ = read_idx("f", &raw);
    }
    // the first byte splits the rest into an images file and a labels file
    if let Some((&k, rest)) = data.split_first() {
        let (images, labels) = rest.split_at((k as usize * 4).min(rest.len()));
        let _ = idx_dataset("f", ("images", images), Some(("labels", labels)));
    }
});
