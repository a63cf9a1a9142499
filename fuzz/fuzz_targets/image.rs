//! PNG and JPEG images (folders of images, and the pages' image uploads), resized and native.
#![no_main]
use hourglass_core::data::{decode_image, decode_image_native};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = decode_image("f.png", data, 28, 28);
    let _ = decode_image_native("f.png", data);
});
