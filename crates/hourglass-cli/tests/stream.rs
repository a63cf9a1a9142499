//! `train --stream`: a folder of images, or an .npy file, read from disk a batch at a time
//! trains to the same weights as the same data read into memory, with the same seed.

mod common;

use std::fs;

use common::*;
use hourglass_core::{checkpoint::Checkpoint, data::write_npy_f32};

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
        let model = ["--image-size", "12", "--conv", "4:3:2:1", "--latent", "6"];
        train_on(&folder, out, &[&model[..], extra].concat())
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
            "--stream reads a folder of images or an .npy file",
            "patterns is neither",
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

/// Trains a model on `data` (its layers and other flags in `extra`) for 3 epochs into `out`;
/// returns what it said.
fn train_on(data: &std::path::Path, out: &std::path::Path, extra: &[&str]) -> String {
    let mut a = vec![
        "train",
        "--dataset",
        s(data),
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
}

#[test]
fn a_streamed_npy_file_trains_to_the_same_weights_as_in_memory() {
    let dir = tmp();
    // rows of numbers outside [0, 1]: both paths scale them by the same range
    let rows = dir.path().join("rows.npy");
    let values: Vec<f32> = (0..120 * 6)
        .map(|i| ((i * 37 % 101) as f32 - 20.0) * 0.3)
        .collect();
    fs::write(&rows, write_npy_f32(120, 6, &values)).unwrap();
    // 2×(4×4×3) colour images, channels last, as NumPy holds pictures
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    let mut header =
        "{'descr': '|u1', 'fortran_order': False, 'shape': (90, 4, 4, 3), }".to_string();
    header.push_str(&" ".repeat((64 - (10 + header.len() + 1) % 64) % 64));
    header.push('\n');
    npy.extend_from_slice(&(header.len() as u16).to_le_bytes());
    npy.extend_from_slice(header.as_bytes());
    npy.extend((0..90 * 48).map(|i| (i * 29 % 256) as u8));
    let images = dir.path().join("images.npy");
    fs::write(&images, npy).unwrap();
    for (data, model) in [
        (&rows, &["--layers", "6,4,2"][..]),
        (&images, &["--conv", "4:3:2:1", "--latent", "3"][..]),
    ] {
        let memory = dir.path().join("memory.safetensors");
        let streamed = dir.path().join("streamed.safetensors");
        let said_memory = train_on(data, &memory, model);
        let said = train_on(data, &streamed, &[model, &["--stream"]].concat());
        assert!(
            said.contains("streamed from disk: training waited"),
            "{said}"
        );
        assert!(said.contains("samples read from the file"), "{said}");
        assert!(!said_memory.contains("streamed"), "{said_memory}");
        let a = Checkpoint::from_bytes("m", &fs::read(&memory).unwrap()).unwrap();
        let b = Checkpoint::from_bytes("s", &fs::read(&streamed).unwrap()).unwrap();
        assert_eq!(a.tensors, b.tensors, "{}", data.display());
        assert_eq!(a.config.dataset, b.config.dataset);
        for (x, y) in a.config.history.iter().zip(&b.config.history) {
            assert_eq!(x.train_loss, y.train_loss);
            let (vx, vy) = (x.val_loss.unwrap(), y.val_loss.unwrap());
            assert!((vx - vy).abs() <= 1e-6 * vx.abs(), "{vx} vs {vy}");
        }
        if data == &rows {
            assert!(
                said.contains("values were scaled linearly to [0, 1]"),
                "{said}"
            );
            assert_ne!(a.config.dataset.scaling.scale, 1.0);
        } else {
            assert_eq!(a.config.dataset.image_dims(), Some([3, 4, 4]));
        }
    }
    // an id column beside small numbers: both paths say one scale squeezes the narrow ones
    let ids = dir.path().join("ids.npy");
    let id_rows: Vec<f32> = (0..60)
        .flat_map(|i| [i as f32 * 100.0, (i % 5) as f32 * 0.1])
        .collect();
    fs::write(&ids, write_npy_f32(60, 2, &id_rows)).unwrap();
    for extra in [&["--layers", "2,1"][..], &["--layers", "2,1", "--stream"]] {
        let said = train_on(&ids, &dir.path().join("ids.safetensors"), extra);
        assert!(
            said.contains("column 1 spans 5900 but column 2 only 0.4"),
            "{said}"
        );
    }
    // --limit streams the first samples only
    let limited = dir.path().join("limited.safetensors");
    train_on(
        &rows,
        &limited,
        &["--layers", "6,4,2", "--stream", "--limit", "50"],
    );
    let l = Checkpoint::from_bytes("l", &fs::read(&limited).unwrap()).unwrap();
    assert_eq!(
        l.config.dataset.train_samples + l.config.dataset.val_samples,
        50
    );
    // a file cut short is refused before training, naming what is missing
    let short = dir.path().join("short.npy");
    let bytes = fs::read(&rows).unwrap();
    fs::write(&short, &bytes[..bytes.len() - 8]).unwrap();
    bad(
        &[
            "train",
            "--dataset",
            s(&short),
            "--stream",
            "--layers",
            "6,2",
            "--out",
            s(&limited),
        ],
        &["short.npy", "needs 2880 data bytes, file has 2872"],
    );
}
