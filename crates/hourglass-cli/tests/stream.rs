//! `train --stream`: a folder of images read from disk a batch at a time trains to the same
//! weights as the folder read into memory, with the same seed.

mod common;

use std::fs;

use common::*;
use hourglass_core::checkpoint::Checkpoint;

#[test]
fn a_streamed_folder_trains_to_the_same_weights_as_in_memory() {
    let dir = tmp();
    let folder = dir.path().join("pictures");
    for (c, class) in ["a", "b"].iter().enumerate() {
        let sub = folder.join(class);
        fs::create_dir_all(&sub).unwrap();
        for i in 0..40u32 {
            // a 20×20 colour picture (resized to 12×12 as it is read)
            let img = image::RgbImage::from_fn(20, 20, |x, y| {
                image::Rgb([
                    ((x * 12 + i) % 256) as u8,
                    ((y * 12 + c as u32 * 90) % 256) as u8,
                    ((x + y + i) * 5 % 256) as u8,
                ])
            });
            img.save(sub.join(format!("{i:02}.png"))).unwrap();
        }
    }
    let train = |out: &std::path::Path, extra: &[&str]| {
        let mut a = vec![
            "train",
            "--dataset",
            s(&folder),
            "--image-size",
            "12",
            "--conv",
            "4:3:2:1",
            "--latent",
            "6",
            "--epochs",
            "3",
            "--batch",
            "16",
            "--seed",
            "7",
            "--out",
            s(out),
        ];
        a.extend_from_slice(extra);
        let o = run(&a);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let memory = dir.path().join("memory.safetensors");
    let streamed = dir.path().join("streamed.safetensors");
    let said_memory = train(&memory, &[]);
    let said = train(&streamed, &["--stream"]);
    assert!(said.contains("80 images resized to 12×12"), "{said}");
    assert!(
        said.contains("streamed from disk: training waited"),
        "{said}"
    );
    assert!(!said_memory.contains("streamed"), "{said_memory}");
    let a = Checkpoint::from_bytes("m", &fs::read(&memory).unwrap()).unwrap();
    let b = Checkpoint::from_bytes("s", &fs::read(&streamed).unwrap()).unwrap();
    // the same split, the same batches in the same order: the same weights, to the bit
    assert_eq!(a.tensors, b.tensors);
    assert_eq!(a.config.dataset, b.config.dataset);
    assert_eq!(a.config.dataset.image_dims(), Some([3, 12, 12]));
    assert_eq!(a.config.dataset.classes, Some(vec!["a".into(), "b".into()]));
    // the training and validation losses too (validation is read in blocks: the same to
    // rounding)
    for (x, y) in a.config.history.iter().zip(&b.config.history) {
        assert_eq!(x.train_loss, y.train_loss);
        let (vx, vy) = (x.val_loss.unwrap(), y.val_loss.unwrap());
        assert!((vx - vy).abs() <= 1e-6 * vx.abs(), "{vx} vs {vy}");
    }
    // --limit streams the first images only
    let limited = dir.path().join("limited.safetensors");
    train(&limited, &["--stream", "--limit", "30"]);
    let l = Checkpoint::from_bytes("l", &fs::read(&limited).unwrap()).unwrap();
    assert_eq!(
        l.config.dataset.train_samples + l.config.dataset.val_samples,
        30
    );
}

#[test]
fn stream_is_refused_where_it_cannot_apply() {
    let dir = tmp();
    let out = dir.path().join("m.safetensors");
    bad(
        &[
            "train",
            "--dataset",
            "patterns",
            "--stream",
            "--layers",
            "9,3",
            "--out",
            s(&out),
        ],
        &[
            "--stream reads a folder of images",
            "patterns is not a folder",
        ],
    );
    let folder = dir.path().join("f");
    fs::create_dir_all(folder.join("x")).unwrap();
    image::GrayImage::new(4, 4)
        .save(folder.join("x").join("a.png"))
        .unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&folder),
            "--stream",
            "--held-out",
            "x",
            "--layers",
            "784,3",
            "--out",
            s(&out),
        ],
        &["--held-out is not available with --stream"],
    );
}
