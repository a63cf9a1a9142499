//! NumPy .npy files.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = hourglass_core::data::read_npy("f.npy", data);
});
