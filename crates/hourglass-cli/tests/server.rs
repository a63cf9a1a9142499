//! `hourglass serve`, started for real on port 0 and driven over its WebSocket protocol.

mod common;

use std::{
    io::{BufRead, BufReader},
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

struct Server {
    child: Child,
    _stdout: BufReader<std::process::ChildStdout>,
    /// e.g. 127.0.0.1:41234
    host: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(extra: &[&str]) -> Server {
    let mut child = bin()
        .args(["serve", "--port", "0"])
        .args(extra)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    let mut reader = BufReader::new(child.stdout.take().unwrap());
    reader.read_line(&mut line).unwrap();
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .expect("the server prints its URL")
        .to_string();
    let host = url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string();
    Server {
        child,
        _stdout: reader,
        host,
    }
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

async fn connect(host: &str) -> Ws {
    let (ws, _) = connect_async(format!("ws://{host}/ws")).await.unwrap();
    ws
}

async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Reads messages until one satisfies `pred` (panics after 20 s).
async fn until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .expect("timed out waiting for a message")
            .unwrap()
            .unwrap();
        if let Message::Text(t) = msg {
            let v: Value = serde_json::from_str(&t).unwrap();
            if pred(&v) {
                return v;
            }
        }
    }
}

fn snapshot(v: &Value) -> bool {
    v["type"] == "snapshot"
}

fn http_get(host: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let mut req = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        req.push_str(&format!("Host: {host}\r\n"));
    }
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut bytes = Vec::new();
    s.read_to_end(&mut bytes).unwrap();
    let out = String::from_utf8_lossy(&bytes).into_owned();
    let status = out.split_whitespace().nth(1).unwrap().parse().unwrap();
    (status, out)
}

#[test]
fn health_and_pages() {
    let server = start(&[]);
    let (status, body) = http_get(&server.host, "/api/health", &[]);
    assert_eq!(status, 200);
    assert!(
        body.contains(r#""status":"ok""#) && body.contains(r#""version":"0.1.0""#),
        "{body}"
    );
    let (status, body) = http_get(&server.host, "/glass", &[]);
    assert_eq!(status, 200);
    assert!(body.contains("<title>Hourglass</title>"));
    let (status, body) = http_get(&server.host, "/api/pages", &[]);
    assert_eq!(status, 200);
    assert!(body.contains("Glass Box") && body.contains("3D Latent Explorer"));
    assert_eq!(http_get(&server.host, "/latent3d", &[]).0, 200);
    // a page's path with a trailing slash is the page
    assert_eq!(http_get(&server.host, "/glass/", &[]).0, 200);
    assert_eq!(http_get(&server.host, "/digits", &[]).0, 200);
    assert_eq!(http_get(&server.host, "/studio", &[]).0, 200);
    assert_eq!(http_get(&server.host, "/no-such-page.js", &[]).0, 404);
    // every answer: no sniffing, and a policy that runs no inline script
    for path in ["/glass", "/app.js", "/api/health", "/no-such-page.js"] {
        let (_, body) = http_get(&server.host, path, &[]);
        let head = body.to_ascii_lowercase();
        assert!(head.contains("x-content-type-options: nosniff"), "{path}");
        let csp = head
            .lines()
            .find(|l| l.starts_with("content-security-policy:"))
            .unwrap_or_else(|| panic!("{path}: no content-security-policy"));
        assert!(csp.contains("script-src 'self';"), "{path}: {csp}");
        assert!(
            !csp.contains("script-src 'self' 'unsafe-inline'"),
            "{path}: {csp}"
        );
    }
}

/// Reads messages until a binary snapshot frame satisfies `pred`; JSON errors are returned
/// as `Err` so a test can check them.
async fn until_frame(
    ws: &mut Ws,
    pred: impl Fn(&Value) -> bool,
) -> Result<(Value, Vec<(String, Vec<f32>)>), Value> {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .expect("timed out waiting for a frame")
            .unwrap()
            .unwrap();
        match msg {
            Message::Binary(b) => {
                let (h, arrays) = hourglass_server::runtime::wire::decode(&b).unwrap();
                if pred(&h) {
                    return Ok((h, arrays));
                }
            }
            Message::Text(t) => {
                let v: Value = serde_json::from_str(&t).unwrap();
                if v["type"] == "error" {
                    return Err(v);
                }
            }
            _ => {}
        }
    }
}

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
fn wrong_host_and_origin_are_refused() {
    let server = start(&[]);
    // DNS rebinding: the right address, someone else's name
    assert_eq!(
        http_get(&server.host, "/api/health", &[("Host", "evil.example:80")]).0,
        403
    );
    assert_eq!(
        http_get(
            &server.host,
            "/api/health",
            &[("Origin", "http://evil.example")]
        )
        .0,
        403
    );
    let port = server.host.rsplit(':').next().unwrap();
    assert_eq!(
        http_get(
            &server.host,
            "/api/health",
            &[("Host", &format!("localhost:{port}"))]
        )
        .0,
        200
    );
    assert_eq!(
        http_get(
            &server.host,
            "/api/health",
            &[("Origin", &format!("http://{}", server.host))]
        )
        .0,
        200
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut req = format!("ws://{}/ws", server.host)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("Origin", HeaderValue::from_static("http://evil.example"));
        assert!(
            connect_async(req).await.is_err(),
            "a page on another origin cannot open the WebSocket"
        );
        let mut req = format!("ws://{}/ws", server.host)
            .into_client_request()
            .unwrap();
        req.headers_mut()
            .insert("Host", HeaderValue::from_static("rebound.example"));
        assert!(connect_async(req).await.is_err());
    });
}

#[test]
fn token_is_required_and_non_loopback_needs_one() {
    let server = start(&["--token", "secret-token-1"]);
    assert_eq!(http_get(&server.host, "/api/health", &[]).0, 401);
    assert_eq!(
        http_get(&server.host, "/api/health?token=wrong-token", &[]).0,
        401
    );
    let (status, body) = http_get(&server.host, "/glass?token=secret-token-1", &[]);
    assert_eq!(status, 200);
    assert!(
        body.to_ascii_lowercase()
            .contains("set-cookie: hourglass_token=secret-token-1")
    );
    assert_eq!(
        http_get(
            &server.host,
            "/api/health",
            &[("Cookie", "hourglass_token=secret-token-1")]
        )
        .0,
        200
    );
    assert_eq!(
        http_get(
            &server.host,
            "/api/health",
            &[("Authorization", "Bearer secret-token-1")]
        )
        .0,
        200
    );
    bad(
        &["serve", "--host", "0.0.0.0", "--port", "0"],
        &["without --token"],
    );
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
fn malformed_and_oversized_messages() {
    let server = start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut ws = connect(&server.host).await;
        until(&mut ws, snapshot).await;
        ws.send(Message::Text("{not json".into())).await.unwrap();
        let e = until(&mut ws, |v| v["type"] == "error").await;
        assert!(
            e["message"].as_str().unwrap().contains("malformed message"),
            "{e}"
        );
        assert_eq!(e["code"], "malformed");
        send(&mut ws, json!({"type": "configure", "lr": 7})).await;
        let e = until(&mut ws, |v| v["type"] == "error").await;
        assert!(
            e["message"].as_str().unwrap().contains("learning rate 7"),
            "{e}"
        );
        assert_eq!(e["code"], "invalid");
        send(&mut ws, json!({"type": "set_input", "input": [1, 2]})).await;
        until(&mut ws, |v| v["type"] == "error").await;
        // the connection is still usable
        send(&mut ws, json!({"type": "step"})).await;
        until(&mut ws, |v| snapshot(v) && v["epoch"] == 1).await;
        // an oversized message is refused: the connection is closed
        let huge = format!("{{\"type\":\"step\",\"pad\":\"{}\"}}", "x".repeat(300_000));
        let _ = ws.send(Message::Text(huge.into())).await;
        let end = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match ws.next().await {
                    None | Some(Err(_)) | Some(Ok(Message::Close(_))) => return true,
                    Some(Ok(_)) => continue,
                }
            }
        })
        .await
        .expect("the server closes a connection that sent an oversized message");
        assert!(end);
    });
    // the server itself is fine
    assert_eq!(http_get(&server.host, "/api/health", &[]).0, 200);
}

#[test]
fn a_session_survives_a_reload_and_ends_when_the_tab_is_gone() {
    let server = start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let mut ws = connect(&server.host).await;
        let id = until(&mut ws, |v| v["type"] == "session").await["id"]
            .as_str()
            .unwrap()
            .to_string();
        send(&mut ws, json!({"type": "step"})).await;
        until(&mut ws, |v| snapshot(v) && v["epoch"] == 1).await;
        ws.close(None).await.unwrap();
        drop(ws);
        // a reload within the grace period finds the same session
        let (mut again, _) = connect_async(format!("ws://{}/ws?session={id}", server.host))
            .await
            .unwrap();
        let hello = until(&mut again, |v| v["type"] == "session").await;
        assert_eq!(hello["id"], id.as_str());
        until(&mut again, |v| snapshot(v) && v["epoch"] == 1).await;
        again.close(None).await.unwrap();
    });
    // after the grace period (10 s) the session is gone
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, body) = http_get(&server.host, "/api/health", &[]);
        if body.contains(r#""sessions":0"#) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the session outlived its grace period: {body}"
        );
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn ctrl_c_stops_the_server() {
    let server = start(&[]);
    let status = std::process::Command::new("kill")
        .args(["-INT", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let mut server = server;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(code) = server.child.try_wait().unwrap() {
            assert!(code.success(), "{code:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop on Ctrl-C"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Reads snapshots (JSON or binary) until one's header satisfies `pred` (panics after 60 s
/// or on an error message).
async fn header_until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .expect("timed out waiting for a snapshot")
            .unwrap()
            .unwrap();
        let v: Value = match msg {
            Message::Text(t) => serde_json::from_str(&t).unwrap(),
            Message::Binary(b) => hourglass_server::runtime::wire::decode(&b).unwrap().0,
            _ => continue,
        };
        assert_ne!(v["type"], "error", "{v}");
        if snapshot(&v) && pred(&v) {
            return v;
        }
    }
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
fn serve_takes_a_host_name_that_resolves_to_loopback() {
    let server = start(&["--host", "localhost"]);
    assert!(
        server.host.starts_with("127.0.0.1:") || server.host.starts_with("[::1]:"),
        "{}",
        server.host
    );
    assert_eq!(http_get(&server.host, "/api/health", &[]).0, 200);
}

/// Reads until the answer to query `id` (JSON or binary); returns its header and arrays.
async fn answer(ws: &mut Ws, id: u64) -> (Value, Vec<(String, Vec<f32>)>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let msg = tokio::time::timeout(left, ws.next())
            .await
            .expect("timed out waiting for an answer")
            .unwrap()
            .unwrap();
        let (v, arrays) = match msg {
            Message::Text(t) => (serde_json::from_str::<Value>(&t).unwrap(), Vec::new()),
            Message::Binary(b) => hourglass_server::runtime::wire::decode(&b).unwrap(),
            _ => continue,
        };
        if v["id"] == id {
            assert_ne!(v["type"], "error", "{v}");
            return (v, arrays);
        }
    }
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

#[test]
fn a_client_that_never_reads_stalls_nothing_and_a_full_server_says_so() {
    let server = start(&[]);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let url = format!("ws://{}/ws?page=glass", server.host);
        // a tab that trains as fast as it can and never reads what it is sent: the 3D explorer
        // with 2,000 points sends ~100 KB snapshots, so its socket's buffers fill in a second
        let (mut silent, _) = connect_async(format!("ws://{}/ws?page=latent3d", server.host))
            .await
            .unwrap();
        send(&mut silent, json!({"type": "configure", "points": 2000})).await;
        send(&mut silent, json!({"type": "speed", "value": 0})).await;
        send(&mut silent, json!({"type": "play"})).await;
        // meanwhile another tab trains and keeps receiving snapshots
        let (mut other, _) = connect_async(&url).await.unwrap();
        send(&mut other, json!({"type": "play"})).await;
        let first = header_until(&mut other, |h| h["run"]["training"] == true).await;
        let e0 = first["epoch"].as_u64().unwrap();
        tokio::time::sleep(Duration::from_secs(3)).await;
        let later = header_until(&mut other, |h| h["epoch"].as_u64().unwrap() > e0 + 20).await;
        assert_eq!(later["run"]["training"], true);
        // the silent tab's job trained all along: once it reads, the latest snapshot comes
        // (the old ones were never queued behind it)
        let caught_up = header_until(&mut silent, |h| {
            h["n"] == 2000 && h["epoch"].as_u64().unwrap() > 500
        })
        .await;
        assert_eq!(caught_up["run"]["training"], true);
        // the session limit: the 17th tab is told the server is full, in words
        let mut open = Vec::new();
        for _ in 0..(hourglass_server::MAX_SESSIONS - 2) {
            let (mut ws, _) = connect_async(&url).await.unwrap();
            // a session is counted once the server has attached it, which happens after the
            // upgrade: wait for it, or the 17th tab could be attached before the 16th
            until(&mut ws, |v| v["type"] == "session").await;
            open.push(ws);
        }
        let (mut extra, _) = connect_async(&url).await.unwrap();
        let e = until(&mut extra, |v| v["type"] == "error").await;
        assert_eq!(e["code"], "full", "{e}");
        assert!(
            e["message"]
                .as_str()
                .unwrap()
                .contains("the server is full"),
            "{e}"
        );
    });
}

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

/// A POST of `body` to `path`: the status and the whole response.
fn http_post(host: &str, path: &str, body: &[u8]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(host).unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Type: application/octet-stream\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    // a server that refuses early may close before the whole body is sent
    let _ = s.write_all(body);
    let mut bytes = Vec::new();
    let _ = s.read_to_end(&mut bytes);
    let out = String::from_utf8_lossy(&bytes).into_owned();
    let status = out
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (status, out)
}

/// Every epoch of a Studio snapshot has a validation loss, PSNR and SSIM.
fn has_validation(h: &Value) -> bool {
    h["history"].as_array().is_some_and(|rows| {
        !rows.is_empty()
            && rows.iter().all(|r| {
                r["val_loss"].as_f64().is_some()
                    && r["psnr"].as_f64().is_some()
                    && r["ssim"].as_f64().is_some()
            })
    })
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
