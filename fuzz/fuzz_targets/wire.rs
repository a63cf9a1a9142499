//! Every client WebSocket message each page's job can be sent (settings patches included, as
//! `configure`), and the binary frame decoder.
#![no_main]
use hourglass_core::glass::{ExplorerSettings, GlassSettings};
use hourglass_server::{
    digits_job::{DigitsCommand, DigitsSettings},
    glass_job::GlassCommand,
    latent3d_job::Latent3dCommand,
    runtime::wire::{decode, parse},
    studio_job::{StudioCommand, StudioSettings},
    uses_job::{UsesCommand, UsesSettings},
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse::<GlassSettings, GlassCommand>(text);
        let _ = parse::<ExplorerSettings, Latent3dCommand>(text);
        let _ = parse::<DigitsSettings, DigitsCommand>(text);
        let _ = parse::<StudioSettings, StudioCommand>(text);
        let _ = parse::<UsesSettings, UsesCommand>(text);
    }
    let _ = decode(data);
});
