//! The Model Studio driven over `hourglass serve`'s WebSocket protocol: a model trained and
//! saved evaluates with `hourglass eval` as the page said and downloads; a configure with the
//! values it has does not undo a run; on `--device wgpu` it trains and evaluates alike.

mod common;
mod serving;

use std::time::Duration;

use common::*;
use serde_json::{Value, json};
use tokio_tungstenite::connect_async;

use serving::*;

#[test]
fn a_model_trained_and_saved_in_the_studio_evaluates_as_the_page_said_and_downloads() {
    let data = data_dir();
    let dir = tmp();
    let models = dir.path().join("models");
    let server = start(&["--data-dir", s(&data), "--models", s(&models)]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let shown = rt.block_on(async {
        let (mut ws, _) = connect_async(format!("ws://{}/ws?page=studio", server.host))
            .await
            .unwrap();
        until(&mut ws, |v| v["type"] == "session").await;
        // an impossible model is refused with its layer, and nothing changes
        send(
            &mut ws,
            json!({"type": "configure", "kind": "conv", "convs": "8:3:2:1,8:9:1:0,8:9:1:0"}),
        )
        .await;
        let e = until(&mut ws, |v| v["type"] == "error").await;
        assert!(
            e["message"].as_str().unwrap().contains("conv layer 3"),
            "{e}"
        );
        send(
            &mut ws,
            json!({"type": "configure", "kind": "conv", "convs": "8:3:2:1,16:3:2:1", "latent": 12,
                   "train_size": 3000, "batch": 100, "epochs": 1}),
        )
        .await;
        header_until(&mut ws, |h| {
            h["arch"]["params"].as_u64() > Some(0) && h["settings"]["kind"] == "conv"
        })
        .await;
        send(&mut ws, json!({"type": "play"})).await;
        let done = header_until(&mut ws, |h| {
            h["epochs_done"] == 1 && h["run"]["training"] == false
        })
        .await;
        assert!(has_validation(&done), "{done}");
        send(&mut ws, json!({"type": "save", "name": "from the studio"})).await;
        let saved = header_until(&mut ws, |h| h["saved"]["name"] == "from the studio").await;
        saved["saved"]["metrics"].clone()
    });
    let file = models.join("from the studio.safetensors");
    let out = ok(&[
        "eval",
        "--model",
        s(&file),
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--json",
    ]);
    let cli: Value = serde_json::from_str(out.trim()).unwrap();
    for key in ["mse", "bce", "psnr", "ssim"] {
        let (a, b) = (cli[key].as_f64().unwrap(), shown[key].as_f64().unwrap());
        assert!((a - b).abs() <= 1e-6, "{key}: eval {a}, page {b}");
    }
    assert_eq!(cli["samples"], 10_000);
    // the page's download is the file itself; names that leave the folder are refused
    let (status, body) = http_get(
        &server.host,
        "/api/models/from%20the%20studio.safetensors",
        &[],
    );
    assert_eq!(status, 200);
    assert!(body.contains("attachment; filename=\"from the studio.safetensors\""));
    let size = std::fs::metadata(&file).unwrap().len() as usize;
    assert!(
        body.to_ascii_lowercase()
            .contains(&format!("content-length: {size}\r\n")),
        "the whole file is sent"
    );
    for bad in [
        "..%2Fsecret.safetensors",
        "%2Fetc%2Fpasswd",
        "nothing.safetensors",
    ] {
        let (status, body) = http_get(&server.host, &format!("/api/models/{bad}"), &[]);
        assert!(status == 400 || status == 404, "{bad}: {status} {body}");
    }
    // an upload is checked before anything is written; a good one lands whole
    let bytes = std::fs::read(&file).unwrap();
    let (status, body) = http_post(&server.host, "/api/models?name=junk", b"not a model");
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not a model Hourglass can read"), "{body}");
    // every refusal of the API is one shape: the sentence and a code a page can act on
    assert!(body.contains(r#""code":"invalid""#), "{body}");
    let torn = &bytes[..bytes.len() / 2];
    let (status, body) = http_post(&server.host, "/api/models?name=torn", torn);
    assert_eq!(status, 400, "{body}");
    for name in ["..%2Fescape", "%2Ftmp%2Fx", ".hidden"] {
        let (status, body) = http_post(&server.host, &format!("/api/models?name={name}"), &bytes);
        assert_eq!(status, 400, "{name}: {body}");
    }
    let (status, body) = http_post(&server.host, "/api/models?name=copy", &bytes);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("conv"), "{body}");
    assert_eq!(
        std::fs::read(models.join("copy.safetensors")).unwrap(),
        bytes
    );
    let (status, body) = http_post(&server.host, "/api/models?name=copy", &bytes);
    assert_eq!(status, 409, "{body}");
    assert!(body.contains(r#""code":"exists""#), "{body}");
    // a browser that goes away mid-upload: half the body sent, then the connection closed
    for path in ["/api/models?name=cut", "/api/datasets?name=cut.csv"] {
        use std::io::Write;
        let mut s = std::net::TcpStream::connect(&server.host).unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
            server.host,
            bytes.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&bytes[..bytes.len() / 2]).unwrap();
        drop(s);
    }
    std::thread::sleep(Duration::from_millis(300));
    let (status, _) = http_get(&server.host, "/api/health", &[]);
    assert_eq!(status, 200, "the server goes on");
    assert!(!models.join("datasets").join("cut.csv").exists());
    let mut names: Vec<String> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["copy.safetensors", "from the studio.safetensors"],
        "nothing else was written"
    );
    assert!(!dir.path().join("escape.safetensors").exists());
    // a data set for the Studio: read and checked before it is kept
    let row = |label: u32| {
        std::iter::once(label.to_string())
            .chain((0..784).map(|k| ((k * 7 + label as usize * 13) % 256).to_string()))
            .collect::<Vec<_>>()
            .join(",")
    };
    let csv: String = (0..40).map(|i| row(i % 10) + "\n").collect();
    let (status, body) = http_post(&server.host, "/api/datasets?name=mine.csv", csv.as_bytes());
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("\"samples\":40") && body.contains("\"labelled\":true"),
        "{body}"
    );
    assert!(models.join("datasets").join("mine.csv").is_file());
    for (name, bytes, words) in [
        ("narrow.csv", &b"1,2,3\n4,5,6\n"[..], "784"),
        ("junk.zip", &b"PK not a zip"[..], "not a readable .zip"),
        ("..%2Fup.csv", csv.as_bytes(), "letters, digits"),
        ("tool.exe", csv.as_bytes(), "not a .csv, .npy or .zip"),
    ] {
        let (status, body) = http_post(&server.host, &format!("/api/datasets?name={name}"), bytes);
        assert_eq!(status, 400, "{name}: {body}");
        assert!(body.contains(words), "{name}: {body}");
    }
    let mut kept: Vec<String> = std::fs::read_dir(models.join("datasets"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    kept.sort();
    assert_eq!(kept, ["mine.csv"], "a refused upload leaves nothing");
}

#[test]
fn a_studio_configure_with_the_values_it_has_does_not_undo_a_run() {
    let data = data_dir();
    let dir = tmp();
    let server = start(&[
        "--data-dir",
        s(&data),
        "--models",
        s(&dir.path().join("models")),
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut ws, _) = connect_async(format!("ws://{}/ws?page=studio", server.host))
            .await
            .unwrap();
        until(&mut ws, |v| v["type"] == "session").await;
        send(
            &mut ws,
            json!({"type": "configure", "dataset": "mnist", "kind": "dense", "train_size": 20000,
                   "batch": 16, "epochs": 1}),
        )
        .await;
        header_until(&mut ws, |h| h["settings"]["batch"] == 16).await;
        send(&mut ws, json!({"type": "play"})).await;
        let running = header_until(&mut ws, |h| {
            h["run"]["training"] == true && h["step"].as_u64() > Some(0)
        })
        .await;
        assert_eq!(running["epochs_done"], 0, "sent while the epoch runs");
        // what the page's editor sends late: the values the server has, one written out
        // differently (`relu,relu` for the default activation of both hidden layers)
        send(
            &mut ws,
            json!({"type": "configure", "dataset": "mnist", "kind": "dense",
                   "layers": "256,128", "latent": 32, "activations": "relu,relu", "epochs": 1}),
        )
        .await;
        // a restart would leave it paused at step 0, never done
        let done = header_until(&mut ws, |h| {
            h["epochs_done"] == 1 && h["run"]["training"] == false
        })
        .await;
        assert_eq!(
            done["step"], done["steps_per_epoch"],
            "one run, not two: {}",
            done["step"]
        );
        assert_eq!(done["settings"]["activations"], "relu,relu");
    });
}

/// `serve --device wgpu`: the Model Studio's run trains on the GPU device (Mesa's software
/// Vulkan where there is no GPU), and the model it saves evaluates on the CPU to the figures
/// the page showed.
#[test]
fn served_on_wgpu_the_studio_trains_and_its_model_evaluates_on_the_cpu_alike() {
    let data = data_dir();
    let dir = tmp();
    let models = dir.path().join("models");
    let server = start(&[
        "--device",
        "wgpu",
        "--data-dir",
        s(&data),
        "--models",
        s(&models),
    ]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let shown = rt.block_on(async {
        let (mut ws, _) = connect_async(format!("ws://{}/ws?page=studio", server.host))
            .await
            .unwrap();
        until(&mut ws, |v| v["type"] == "session").await;
        send(
            &mut ws,
            json!({"type": "configure", "dataset": "mnist", "kind": "dense", "layers": "64",
                   "latent": 16, "train_size": 2000, "batch": 100, "epochs": 1}),
        )
        .await;
        header_until(&mut ws, |h| h["settings"]["train_size"] == 2000).await;
        send(&mut ws, json!({"type": "play"})).await;
        header_until(&mut ws, |h| {
            h["epochs_done"] == 1 && h["run"]["training"] == false
        })
        .await;
        send(&mut ws, json!({"type": "save", "name": "on wgpu"})).await;
        let saved = header_until(&mut ws, |h| h["saved"]["name"] == "on wgpu").await;
        saved["saved"]["metrics"].clone()
    });
    let out = ok(&[
        "eval",
        "--model",
        s(&models.join("on wgpu.safetensors")),
        "--dataset",
        "mnist",
        "--data-dir",
        s(&data),
        "--json",
    ]);
    let cli: Value = serde_json::from_str(out.trim()).unwrap();
    for key in ["mse", "bce", "psnr", "ssim"] {
        let (a, b) = (cli[key].as_f64().unwrap(), shown[key].as_f64().unwrap());
        assert!(
            (a - b).abs() <= 1e-4 * a.abs().max(1.0),
            "{key}: eval on the CPU {a}, the page on wgpu {b}"
        );
    }
}
