//! Data sets uploaded from the Model Studio: .zip archives of images in class folders (and,
//! by the first byte, the same bytes as a CSV or an NPY upload), read with the archive's
//! bounds on entries and expanded sizes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let name = match data.first().map(|b| b % 8) {
        Some(0) => "f.csv",
        Some(1) => "f.npy",
        _ => "f.zip",
    };
    let _ = hourglass_data::uploads::read(name, data, 28);
});
