//! Colour images through the CLI: a folder of colour pictures trains a conv model that saves,
//! evaluates and reconstructs in colour; a 64×64×3 model's file is read by Python as PyTorch
//! would, and a forward pass written with PyTorch's conventions in NumPy reconstructs as we do.

mod common;

use std::{fs, path::Path};

use common::*;
use hourglass_core::{checkpoint::Checkpoint, data::write_npy_f32};
use serde_json::Value;

/// A folder of two classes of 16×16 colour pictures: reddish squares and bluish stripes.
fn colour_folder(root: &Path) -> std::path::PathBuf {
    let folder = root.join("pictures");
    for (class, n) in [("red", 12u32), ("blue", 12)] {
        let sub = folder.join(class);
        fs::create_dir_all(&sub).unwrap();
        for i in 0..n {
            let img = image::RgbImage::from_fn(16, 16, |x, y| {
                if class == "red" {
                    let inside = (4..12).contains(&x) && (4..12).contains(&y);
                    image::Rgb([200 + (i as u8), if inside { 120 } else { 30 }, 20])
                } else {
                    image::Rgb([20, 40 + ((x + i) % 4) as u8 * 30, 210])
                }
            });
            img.save(sub.join(format!("{i}.png"))).unwrap();
        }
    }
    folder
}

#[test]
fn a_colour_folder_trains_saves_evaluates_and_reconstructs_in_colour() {
    let dir = tmp();
    let folder = colour_folder(dir.path());
    let model = dir.path().join("colour.safetensors");
    let o = run(&[
        "train",
        "--dataset",
        s(&folder),
        "--image-size",
        "16",
        "--conv",
        "8:3:2:1",
        "--latent",
        "6",
        "--epochs",
        "40",
        "--batch",
        "8",
        "--lr",
        "0.01",
        "--out",
        s(&model),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("conv 3x16x16"), "{}", stderr(&o));
    // the file records three channels, and the conv model takes them
    let ck = Checkpoint::from_bytes("m", &fs::read(&model).unwrap()).unwrap();
    assert_eq!(ck.config.dataset.image_dims(), Some([3, 16, 16]));
    assert_eq!(
        ck.tensor("encoder.conv.0.weight").unwrap().shape,
        vec![8, 3, 3, 3]
    );
    // evaluated on the folder (read in colour, as the model was trained): the pictures are
    // simple, so a trained model is close
    let e: Value = serde_json::from_str(&ok(&[
        "eval",
        "--model",
        s(&model),
        "--dataset",
        s(&folder),
        "--json",
    ]))
    .unwrap();
    assert!(e["psnr"].as_f64().unwrap() > 20.0, "{e}");
    assert!(e["ssim"].as_f64().unwrap() > 0.3, "{e}");
    // a grey reading of the folder does not fit the model: said, with the flag to use
    bad(
        &[
            "eval",
            "--model",
            s(&model),
            "--dataset",
            s(&folder),
            "--colour",
            "grey",
        ],
        &["256 values per sample", "16×16×3 images", "--colour colour"],
    );
    // the grid is a colour PNG: the first original (a blue stripe picture, `blue` sorts
    // first) is blue, and so is its reconstruction under it
    let grid = dir.path().join("grid.png");
    ok(&[
        "reconstruct",
        "--model",
        s(&model),
        "--dataset",
        s(&folder),
        "--count",
        "4",
        "--scale",
        "1",
        "--out",
        s(&grid),
    ]);
    let img = image::open(&grid).unwrap();
    assert!(img.color().has_color(), "{:?}", img.color());
    let rgb = img.to_rgb8();
    assert_eq!(rgb.dimensions(), (4 * 17 + 1, 2 * 17 + 1));
    let original = rgb.get_pixel(8, 8).0;
    let rebuilt = rgb.get_pixel(8, 17 + 8).0;
    assert!(original[2] > 200 && original[0] < 40, "{original:?}");
    assert!(
        rebuilt[2] > 150 && rebuilt[0] < 90,
        "reconstruction {rebuilt:?} of {original:?}"
    );
}

/// `reconstruct --out x.csv` of `data`, as numbers.
fn reconstructions(model: &Path, data: &Path, out: &Path) -> Vec<f32> {
    ok(&[
        "reconstruct",
        "--model",
        s(model),
        "--dataset",
        s(data),
        "--count",
        "3",
        "--out",
        s(out),
    ]);
    fs::read_to_string(out)
        .unwrap()
        .lines()
        .skip(1)
        .flat_map(|l| {
            l.split(',')
                .map(|v| v.parse::<f32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn a_64x64_colour_model_reads_in_pytorchs_layout_and_reconstructs_alike() {
    let dir = tmp();
    let model = dir.path().join("photos.safetensors");
    ok(&[
        "train",
        "--dataset",
        "photo-patches",
        "--limit",
        "48",
        "--conv",
        "4:3:2:1,6:3:2:1",
        "--latent",
        "8",
        "--epochs",
        "1",
        "--batch",
        "16",
        "--out",
        s(&model),
    ]);
    // three pictures as NumPy holds images, (samples, height, width, channels)
    let (n, h, w) = (3usize, 64usize, 64usize);
    let hwc: Vec<f32> = (0..n * h * w * 3)
        .map(|i| ((i * 7919) % 256) as f32 / 255.0)
        .collect();
    let npy_2d = write_npy_f32(n, h * w * 3, &hwc);
    // the same bytes with a 4-D header: (3, 64, 64, 3)
    let npy = four_d(&npy_2d, &format!("({n}, {h}, {w}, 3)"));
    let data = dir.path().join("pictures.npy");
    fs::write(&data, npy).unwrap();
    let ours = reconstructions(&model, &data, &dir.path().join("rec.csv"));
    assert_eq!(ours.len(), n * 3 * h * w);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pytorch_conv.py");
    let v = python_json(&[script.as_os_str(), model.as_os_str(), data.as_os_str()]);
    // PyTorch's layouts: Conv2d [out, in, k, k], ConvTranspose2d [in, out, k, k]
    assert_eq!(
        v["shapes"]["encoder.conv.0.weight"],
        serde_json::json!([4, 3, 3, 3])
    );
    assert_eq!(
        v["shapes"]["decoder.deconv.1.weight"],
        serde_json::json!([4, 3, 3, 3])
    );
    assert_eq!(v["input"], serde_json::json!([3, 64, 64]));
    let theirs: Vec<f32> = v["output"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(theirs.len(), ours.len());
    let worst = ours
        .iter()
        .zip(&theirs)
        .map(|(a, b)| (a - b).abs())
        .fold(0f32, f32::max);
    assert!(worst < 1e-4, "largest difference {worst}");
}

/// An .npy file's bytes with its shape replaced (the header keeps its padded length).
fn four_d(npy: &[u8], shape: &str) -> Vec<u8> {
    let hlen = u16::from_le_bytes([npy[8], npy[9]]) as usize;
    let header = std::str::from_utf8(&npy[10..10 + hlen]).unwrap();
    let start = header.find("'shape': (").unwrap() + "'shape': ".len();
    let end = start + header[start..].find(')').unwrap() + 1;
    let mut new = format!("{}{shape}{}", &header[..start], &header[end..]);
    // pad back to the same length so the data stay where they were
    let body = new.trim_end().to_string();
    new = format!("{body}{}\n", " ".repeat(hlen - 1 - body.len()));
    let mut out = npy[..10].to_vec();
    out.extend_from_slice(new.as_bytes());
    out.extend_from_slice(&npy[10 + hlen..]);
    out
}
