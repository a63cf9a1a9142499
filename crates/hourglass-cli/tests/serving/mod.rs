//! Helpers shared by the tests of `hourglass serve`: start it for real on port 0, talk to it
//! over its WebSocket protocol and plain HTTP.
#![allow(dead_code)]

use std::{
    io::{BufRead, BufReader},
    process::{Child, Stdio},
    time::{Duration, Instant},
};

use crate::common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio_tungstenite::{connect_async, tungstenite::Message};

pub struct Server {
    pub child: Child,
    _stdout: BufReader<std::process::ChildStdout>,
    /// e.g. 127.0.0.1:41234
    pub host: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn start(extra: &[&str]) -> Server {
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

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub async fn connect(host: &str) -> Ws {
    let (ws, _) = connect_async(format!("ws://{host}/ws")).await.unwrap();
    ws
}

pub async fn send(ws: &mut Ws, v: Value) {
    ws.send(Message::Text(v.to_string().into())).await.unwrap();
}

/// Reads messages until one satisfies `pred` (panics after 20 s).
pub async fn until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
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

pub fn snapshot(v: &Value) -> bool {
    v["type"] == "snapshot"
}

pub fn http_get(host: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
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

/// Reads messages until a binary snapshot frame satisfies `pred`; JSON errors are returned
/// as `Err` so a test can check them.
pub async fn until_frame(
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

/// Reads snapshots (JSON or binary) until one's header satisfies `pred` (panics after 60 s
/// or on an error message).
pub async fn header_until(ws: &mut Ws, pred: impl Fn(&Value) -> bool) -> Value {
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

/// Reads until the answer to query `id` (JSON or binary); returns its header and arrays.
pub async fn answer(ws: &mut Ws, id: u64) -> (Value, Vec<(String, Vec<f32>)>) {
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

/// A POST of `body` to `path`: the status and the whole response.
pub fn http_post(host: &str, path: &str, body: &[u8]) -> (u16, String) {
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
pub fn has_validation(h: &Value) -> bool {
    h["history"].as_array().is_some_and(|rows| {
        !rows.is_empty()
            && rows.iter().all(|r| {
                r["val_loss"].as_f64().is_some()
                    && r["psnr"].as_f64().is_some()
                    && r["ssim"].as_f64().is_some()
            })
    })
}
