//! 3D points uploaded to the 3D Latent Explorer (CSV of x,y,z rows).
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(mut p) = hourglass_core::data::points_from_csv("p.csv", data) {
        p.fit_unit_cube();
    }
});
