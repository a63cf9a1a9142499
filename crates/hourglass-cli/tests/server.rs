//! `hourglass serve` itself, started for real on port 0: its pages and health, who may connect
//! (host, origin, token), bad and oversized messages, sessions across a reload, a client that
//! never reads, Ctrl-C. The pages' jobs over the WebSocket are in `server_pages.rs`.

mod common;
mod serving;

use std::time::{Duration, Instant};

use common::*;
use futures_util::{SinkExt, StreamExt};
use serde_json::json;
use tokio_tungstenite::{
    connect_async,
    tungstenite::{Message, client::IntoClientRequest, http::HeaderValue},
};

use serving::*;

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
