//! The Studio on colour images: an uploaded set of 28×28×3 pictures builds, trains, shows and
//! saves a colour model.

use hourglass_core::data::{Dataset, ImageColour, encode_image_png, images_dataset};

use super::*;
use crate::{
    MemoryModels,
    testing::{Probe, TestDatasets, array, ask, test_data},
};

const LONG: usize = 100_000;

/// 60 colour pictures as an image archive's reader reads them: red squares and blue stripes.
fn colour_upload() -> Dataset {
    let files: Vec<(String, Vec<u8>, Option<u32>)> = (0..60)
        .map(|i| {
            let red = i % 2 == 0;
            let mut v = vec![0f32; 3 * 784];
            for y in 0..28 {
                for x in 0..28 {
                    let p = y * 28 + x;
                    if red {
                        let inside = (8..20).contains(&x) && (8..20).contains(&y);
                        v[p] = 0.9;
                        v[784 + p] = if inside { 0.6 } else { 0.1 };
                    } else {
                        v[784 + p] = ((x + i) % 4) as f32 / 4.0;
                        v[2 * 784 + p] = 0.9;
                    }
                }
            }
            let png = encode_image_png(&v, 3, 28, 28).unwrap();
            (format!("{i}.png"), png, Some(u32::from(!red)))
        })
        .collect();
    images_dataset("pictures.zip", &files, 28, 28, ImageColour::AsTheyAre)
        .unwrap()
        .0
}

#[test]
fn a_colour_upload_trains_a_colour_model_that_is_drawn_and_saved_in_colour() {
    let uploads = Arc::new(TestDatasets::new(&test_data()));
    uploads.put_upload("pictures.zip", colour_upload());
    let models = Arc::new(MemoryModels::default());
    let mut p: Probe<StudioJob> = Probe::with(uploads, models.clone());
    // the model first, then the data (as the page does after an upload)
    p.send(r#"{"type":"configure","kind":"conv","convs":"8:3:2:1","latent":8,"batch":10,"epochs":30,"lr":0.01,"val_split":0.2}"#);
    p.until(LONG, |f| f.header["settings"]["kind"] == "conv");
    p.send(r#"{"type":"rescan"}"#);
    p.send(r#"{"type":"configure","dataset":"upload:pictures.zip"}"#);
    let f = p.until(LONG, |f| f.header["channels"] == 3);
    assert!(
        f.header["arch"]["describe"]
            .as_str()
            .unwrap()
            .starts_with("conv 3x28x28"),
        "{}",
        f.header["arch"]
    );
    // the model takes colour: its diagram starts and ends at 3×28×28
    let layers = f.header["arch"]["layers"].as_array().unwrap().clone();
    assert_eq!(layers[0]["shape"], json!([3, 28, 28]));
    assert_eq!(layers[layers.len() - 1]["shape"], json!([3, 28, 28]));
    p.send(r#"{"type":"play"}"#);
    let done = p.until(LONG, |f| {
        f.header["epochs_done"] == 30 && f.header["run"]["training"] == false
    });
    assert_eq!(done.header["train_samples"], 48);
    // the grid: colour images and their reconstructions, 2,352 values each
    let g = ask(&mut p, json!({"type": "query", "id": 1, "query": "grid"}));
    let (grid, recon) = (array(&g, "grid"), array(&g, "recon"));
    assert_eq!(grid.len() % (3 * 784), 0);
    assert_eq!(recon.len(), grid.len());
    // a trained model keeps each picture's colour: red where red was, blue where blue
    for (x, y) in grid.chunks(3 * 784).zip(recon.chunks(3 * 784)) {
        let mean = |v: &[f32], c: usize| v[c * 784..(c + 1) * 784].iter().sum::<f32>() / 784.0;
        for c in 0..3 {
            assert!(
                (mean(x, c) - mean(y, c)).abs() < 0.15,
                "channel {c}: {} rebuilt as {}",
                mean(x, c),
                mean(y, c)
            );
        }
    }
    // looking inside: the output is a colour image; a grey drawing is seen in three channels
    let a = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "activations", "index": 0}),
    );
    assert_eq!(array(&a, "input").len(), 3 * 784);
    let drawn =
        json!({"type": "query", "id": 3, "query": "activations", "pixels": vec![0.5f32; 784]});
    let a = ask(&mut p, drawn);
    assert_eq!(array(&a, "input").len(), 3 * 784);
    // the first layer's kernels, summed over the channels: one 3×3 picture each
    let fl = ask(
        &mut p,
        json!({"type": "query", "id": 4, "query": "filters"}),
    );
    assert_eq!(fl.header["channels"], 3);
    assert_eq!(array(&fl, "filters").len(), 8 * 9);
    // saved: the file records colour 28×28 images, and loads back into the Studio
    p.send(r#"{"type":"save","name":"colour"}"#);
    p.until(LONG, |f| f.header["saved"]["name"] == "colour");
    let ck = models.read("colour").unwrap();
    assert_eq!(ck.config.dataset.image_dims(), Some([3, 28, 28]));
    assert_eq!(ck.config.dataset.features, 3 * 784);
    p.send(r#"{"type":"configure","dataset":"mnist","kind":"dense"}"#);
    p.until(LONG, |f| f.header["channels"] == 1);
    p.send(r#"{"type":"load","name":"colour"}"#);
    let f = p.until(LONG, |f| f.header["loaded"] == "colour");
    assert_eq!(f.header["channels"], 3);
    assert_eq!(f.header["settings"]["dataset"], "upload:pictures.zip");
}
