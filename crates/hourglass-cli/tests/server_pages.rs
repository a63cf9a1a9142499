//! The pages' jobs driven over `hourglass serve`'s WebSocket protocol as the pages drive them:
//! the 3D explorer, training and its controls, jobs sharing the training budget, the Digits
//! Lab's download and decode. The Model Studio's are in `server_studio.rs`.

mod common;
mod serving;

use std::time::{Duration, Instant};

use common::*;
use serde_json::json;
use tokio_tungstenite::connect_async;

use serving::*;

#[test]
fn the_3d_explorer_over_the_websocket() {
    let server = start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut ws, _) = connect_async(format!("ws://{}/ws?page=latent3d", server.host))
            .await
            .unwrap();
        let hello = until(&mut ws, |v| v["type"] == "session").await;
        let sets = &hello["info"]["datasets"];
        assert_eq!(sets.as_array().unwrap().len(), 5);
        assert_eq!(sets[2]["name"], "twisted-cubic");
        assert_eq!(sets[2]["preview"].as_array().unwrap().len(), 100);
        // the settings' schema: every range in one place
        let schema = hello["schema"].as_array().unwrap();
        let points = schema.iter().find(|f| f["name"] == "points").unwrap();
        assert_eq!(
            (points["min"].as_f64(), points["max"].as_f64()),
            (Some(2.0), Some(2000.0))
        );
        assert_eq!(points["default"], 200);
        let (h, arrays) = until_frame(&mut ws, |h| h["moment"].is_null())
            .await
            .unwrap();
        assert_eq!((h["epoch"].as_u64(), h["n"].as_u64()), (Some(0), Some(200)));
        assert_eq!(h["sizes"], json!([3, 64, 64, 2, 64, 64, 3]));
        let names: Vec<&str> = arrays.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "points",
                "codes",
                "reconstructions",
                "errors",
                "trails",
                "pca_codes",
                "pca_errors"
            ]
        );
        assert_eq!(arrays[0].1.len(), 600);
        assert_eq!(arrays[4].1.len(), 400);
        let first_loss = h["loss"].as_f64().unwrap();

        send(
            &mut ws,
            json!({"type": "configure", "dataset": "saddle", "points": 40}),
        )
        .await;
        send(&mut ws, json!({"type": "speed", "value": 0})).await;
        until_frame(&mut ws, |h| {
            h["settings"]["dataset"] == "saddle" && h["n"] == 40
        })
        .await
        .unwrap();
        send(&mut ws, json!({"type": "play"})).await;
        let (h, _) = until_frame(&mut ws, |h| h["epoch"].as_u64().unwrap() >= 400)
            .await
            .unwrap();
        assert_eq!(h["run"]["training"], true);
        assert!(h["loss"].as_f64().unwrap() < first_loss);
        // the learning rate changes while training
        send(&mut ws, json!({"type": "configure", "lr": 0.001})).await;
        until_frame(&mut ws, |h| {
            h["settings"]["lr"] == 0.001 && h["run"]["training"] == true
        })
        .await
        .unwrap();
        send(&mut ws, json!({"type": "pause"})).await;
        let (h, _) = until_frame(&mut ws, |h| h["run"]["training"] == false)
            .await
            .unwrap();
        let paused = h["epoch"].as_u64().unwrap();
        let timeline = h["timeline"].as_array().unwrap().clone();
        assert!(timeline.len() >= 8, "{timeline:?}");
        assert_eq!(timeline[2], 100);
        // a timeline moment comes back with its own epoch and arrays
        send(
            &mut ws,
            json!({"type": "query", "id": 1, "query": "moment", "index": 2}),
        )
        .await;
        let (m, arrays) = until_frame(&mut ws, |h| h["moment"] == 2).await.unwrap();
        assert_eq!(
            (m["type"].as_str(), m["id"].as_u64()),
            (Some("answer"), Some(1))
        );
        assert_eq!(m["epoch"], 100);
        assert_eq!(m["trails_epoch"], 100);
        assert_eq!(arrays[1].1.len(), 80);
        send(
            &mut ws,
            json!({"type": "query", "id": 2, "query": "moment", "index": 100000}),
        )
        .await;
        let e = until_frame(&mut ws, |_| false).await.unwrap_err();
        assert!(
            e["message"].as_str().unwrap().contains("moment 100000"),
            "{e}"
        );
        assert_eq!(
            (e["code"].as_str(), e["id"].as_u64()),
            (Some("not_found"), Some(2))
        );
        // a bad upload is refused with its reason; a bad setting too; the session goes on
        send(
            &mut ws,
            json!({"type": "upload", "name": "two.csv", "csv": "1,2\n3,4\n"}),
        )
        .await;
        let e = until_frame(&mut ws, |_| false).await.unwrap_err();
        let msg = e["message"].as_str().unwrap();
        assert!(
            msg.contains("two.csv") && msg.contains("exactly 3"),
            "{msg}"
        );
        send(&mut ws, json!({"type": "configure", "latent": 7})).await;
        let e = until_frame(&mut ws, |_| false).await.unwrap_err();
        assert!(e["message"].as_str().unwrap().contains("latent size 7"));
        send(&mut ws, json!({"type": "step"})).await;
        until_frame(&mut ws, |h| h["epoch"].as_u64() == Some(paused + 1))
            .await
            .unwrap();
        send(
            &mut ws,
            json!({"type": "upload", "name": "line.csv", "csv": "x,y,z\n0,0,0\n1,1,1\n2,2,2\n"}),
        )
        .await;
        let (h, arrays) = until_frame(&mut ws, |h| h["settings"]["dataset"] == "upload")
            .await
            .unwrap();
        assert_eq!(
            (h["n"].as_u64(), h["dataset_label"].as_str()),
            (Some(3), Some("line.csv"))
        );
        assert_eq!(
            arrays[0].1,
            vec![-1.0, -1.0, -1.0, 0.0, 0.0, 0.0, 1.0, 1.0, 1.0]
        );
        assert!(h["pca_error"].as_f64().unwrap() < 1e-9);
    });
}

#[test]
fn train_change_rate_stop_and_reset_over_the_websocket() {
    let server = start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut ws = connect(&server.host).await;
        let hello = until(&mut ws, |v| v["type"] == "session").await;
        assert!(hello["id"].as_str().unwrap().len() >= 16);
        let first = until(&mut ws, snapshot).await;
        assert_eq!(first["epoch"], 0);
        assert_eq!(first["params"], 168);
        assert_eq!(first["sizes"], json!([9, 6, 3, 6, 9]));
        assert_eq!(first["settings"]["lr"], 0.15);
        let schema = hello["schema"].as_array().unwrap();
        assert_eq!(schema[0]["name"], "lr");
        assert_eq!(
            (schema[0]["min"].as_f64(), schema[0]["max"].as_f64()),
            (Some(0.01), Some(0.5))
        );

        send(&mut ws, json!({"type": "play"})).await;
        until(&mut ws, |v| {
            snapshot(v) && v["run"]["training"] == true && v["epoch"].as_u64().unwrap() > 10
        })
        .await;
        // the learning rate changes mid-training and the next snapshots carry it
        send(&mut ws, json!({"type": "configure", "lr": 0.3})).await;
        let s = until(&mut ws, |v| snapshot(v) && v["settings"]["lr"] == 0.3).await;
        assert_eq!(s["run"]["training"], true);
        let e0 = s["epoch"].as_u64().unwrap();
        until(&mut ws, |v| {
            snapshot(v) && v["epoch"].as_u64().unwrap() > e0 + 5
        })
        .await;

        send(&mut ws, json!({"type": "pause"})).await;
        let stopped = until(&mut ws, |v| snapshot(v) && v["run"]["training"] == false).await;
        let frozen = stopped["epoch"].as_u64().unwrap();
        send(&mut ws, json!({"type": "step"})).await;
        until(&mut ws, |v| {
            snapshot(v) && v["epoch"].as_u64() == Some(frozen + 1)
        })
        .await;

        send(
            &mut ws,
            json!({"type": "set_input", "input": [0, 1, 0, 1, 1, 1, 0, 1, 0]}),
        )
        .await;
        send(&mut ws, json!({"type": "configure", "seed": 9})).await;
        let r = until(&mut ws, |v| {
            snapshot(v) && v["epoch"] == 0 && v["settings"]["seed"] == 9
        })
        .await;
        assert_eq!(
            r["input"],
            json!([0.0, 1.0, 0.0, 1.0, 1.0, 1.0, 0.0, 1.0, 0.0]),
            "Reset keeps the input"
        );
        assert_eq!(r["settings"]["lr"], 0.3, "a new seed keeps the rates");
        // Reset starts again from the same seed
        send(&mut ws, json!({"type": "step"})).await;
        until(&mut ws, |v| snapshot(v) && v["epoch"] == 1).await;
        send(&mut ws, json!({"type": "reset"})).await;
        let again = until(&mut ws, |v| snapshot(v) && v["epoch"] == 0).await;
        assert_eq!(again["layers"], r["layers"]);
    });
}

#[test]
fn mnist_jobs_share_the_budget_while_the_glass_box_keeps_its_rate() {
    let data = data_dir();
    let server = start(&["--jobs", "2", "--data-dir", s(&data)]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let page = |name: &str| format!("ws://{}/ws?page={name}", server.host);
        let train = json!({"type": "configure", "model": "train", "train_size": 2000, "batch": 64});
        let mut running = Vec::new();
        for _ in 0..2 {
            let (mut ws, _) = connect_async(page("digits")).await.unwrap();
            let hello = until(&mut ws, |v| v["type"] == "session").await;
            assert_eq!(hello["info"]["datasets"][0]["present"], true);
            send(&mut ws, train.clone()).await;
            send(&mut ws, json!({"type": "play"})).await;
            running.push(ws);
        }
        for ws in &mut running {
            let h = header_until(ws, |h| {
                h["step"].as_u64() >= Some(3) && h["run"]["queued"].is_null()
            })
            .await;
            assert_eq!(h["run"]["training"], true);
        }
        // the Glass Box, training at its own pace beside them, keeps receiving snapshots
        let mut glass = connect(&server.host).await;
        until(&mut glass, snapshot).await;
        send(&mut glass, json!({"type": "play"})).await;
        let start = header_until(&mut glass, |h| h["run"]["training"] == true).await;
        let (mut count, mut last) = (0, start["epoch"].as_u64().unwrap());
        let window = Instant::now();
        while window.elapsed() < Duration::from_secs(3) {
            let h = header_until(&mut glass, |_| true).await;
            let e = h["epoch"].as_u64().unwrap();
            if e > last {
                count += 1;
                last = e;
            }
        }
        // about 30 a second when nothing else runs; a stalled page would see none
        assert!(count >= 30, "only {count} glass snapshots in 3 s");
        // a third MNIST job on a budget of two waits its turn, and knows its place
        let (mut third, _) = connect_async(page("digits")).await.unwrap();
        send(&mut third, train.clone()).await;
        send(&mut third, json!({"type": "play"})).await;
        let q = header_until(&mut third, |h| h["run"]["queued"] == 1).await;
        assert_eq!(
            (q["run"]["training"].as_bool(), q["step"].as_u64()),
            (Some(true), Some(0))
        );
        // when one of the two pauses, the waiting one runs
        send(&mut running[0], json!({"type": "pause"})).await;
        header_until(&mut third, |h| {
            h["run"]["queued"].is_null() && h["step"].as_u64() >= Some(2)
        })
        .await;
    });
}

#[test]
fn the_digits_page_downloads_a_missing_dataset_with_progress_then_trains_on_it() {
    let mirror = serve_files(data_dir());
    let dir = tmp();
    let server = start(&["--data-dir", s(dir.path()), "--mirror", &mirror]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut ws, _) = connect_async(format!("ws://{}/ws?page=digits", server.host))
            .await
            .unwrap();
        let hello = until(&mut ws, |v| v["type"] == "session").await;
        assert_eq!(
            hello["info"]["datasets"][0],
            json!({"name": "mnist", "present": false})
        );
        // the shipped model maps the shipped sample of 2,000 test images meanwhile
        let h = header_until(&mut ws, |h| h["map"]["source"] == "sample").await;
        assert_eq!(h["map"]["count"], 2000);
        // your own model trains without it, on the shipped sample, and the page says so
        send(&mut ws, json!({"type": "configure", "model": "train"})).await;
        send(&mut ws, json!({"type": "step"})).await;
        let h = header_until(&mut ws, |h| h["step"] == 1).await;
        assert_eq!(h["trains_on_sample"], true);
        send(&mut ws, json!({"type": "fetch", "dataset": "mnist"})).await;
        let h = header_until(&mut ws, |h| h["download"]["state"] != "running").await;
        assert_eq!(h["download"]["state"], "done", "{}", h["download"]);
        assert_eq!(h["download"]["files_done"], 4);
        assert_eq!(h["datasets"][0], json!({"name": "mnist", "present": true}));
        for f in MNIST_FILES {
            assert!(dir.path().join("mnist").join(f).is_file(), "{f}");
        }
        // and now it trains
        send(
            &mut ws,
            json!({"type": "configure", "model": "train", "train_size": 500, "batch": 50}),
        )
        .await;
        send(&mut ws, json!({"type": "step"})).await;
        let h = header_until(&mut ws, |h| h["step"] == 1).await;
        assert_eq!(h["trains_on_sample"], false);
        // an unknown dataset is refused with the reason
        send(&mut ws, json!({"type": "fetch", "dataset": "cifar"})).await;
        let e = until(&mut ws, |v| v["type"] == "error").await;
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("unknown dataset 'cifar'"),
            "{e}"
        );
    });
}

#[test]
fn the_digits_page_decodes_as_the_cli_does_with_no_datasets_on_the_machine() {
    let dir = tmp();
    let empty = dir.path().join("data");
    std::fs::create_dir_all(&empty).unwrap();
    let server = start(&["--data-dir", s(&empty)]);
    // the shipped model, as a file the CLI can read
    let model = dir.path().join("mnist-2d.safetensors");
    std::fs::write(
        &model,
        hourglass_data::shipped::model("mnist-2d").unwrap().bytes,
    )
    .unwrap();
    let codes = [[0.5f32, -1.25], [3.0, 2.0], [-4.0, 7.5]];
    let csv = dir.path().join("codes.csv");
    let text: String = std::iter::once("z0,z1\n".to_string())
        .chain(codes.iter().map(|c| format!("{},{}\n", c[0], c[1])))
        .collect();
    std::fs::write(&csv, text).unwrap();
    let out = dir.path().join("decoded.csv");
    let st = bin()
        .args([
            "decode",
            "--model",
            s(&model),
            "--codes",
            s(&csv),
            "--out",
            s(&out),
        ])
        .status()
        .unwrap();
    assert!(st.success());
    let cli: Vec<Vec<f32>> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .skip(1) // the header row
        .map(|l| l.split(',').map(|v| v.parse().unwrap()).collect())
        .collect();
    assert_eq!(cli.len(), 3);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let (mut ws, _) = connect_async(format!("ws://{}/ws?page=digits", server.host))
            .await
            .unwrap();
        let h = header_until(&mut ws, |h| h["map"]["count"] == 2000).await;
        assert_eq!(h["model"], "mnist-2d");
        assert_eq!(h["map"]["source"], "sample");
        assert!(h["quality"]["test_mse"].as_f64().unwrap() > 0.0);
        for (k, c) in codes.iter().enumerate() {
            let id = 100 + k as u64;
            send(
                &mut ws,
                json!({"type": "query", "id": id, "query": "decode", "code": c}),
            )
            .await;
            let (_, arrays) = answer(&mut ws, id).await;
            let image = &arrays.iter().find(|(n, _)| n == "image").unwrap().1;
            assert_eq!(image.len(), 784);
            let worst = image
                .iter()
                .zip(&cli[k])
                .map(|(a, b)| (a - b).abs())
                .fold(0.0f32, f32::max);
            assert!(worst <= 1e-6, "code {c:?}: page and CLI differ by {worst}");
        }
    });
}
