//! Measures the 3D explorer's training speed with no page attached and with a page
//! streaming snapshots over a real WebSocket, and the snapshot rate the page receives.
//!
//! `cargo run --release -p hourglass-server --example latent3d_throughput [-- POINTS SECONDS]`
//! (defaults: 25 points, 5 seconds per measurement). The two cases alternate three times and
//! the medians are printed. A benchmark, not a test: it prints figures and asserts nothing.

use std::{
    thread,
    time::{Duration, Instant},
};

use futures_util::{SinkExt, StreamExt};
use hourglass_lab::{decode, pages::latent3d::Latent3dJob};
use hourglass_server::{
    Config,
    runtime::{self, Host},
};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let points: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(25);
    let secs: f64 = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(5.0);
    let window = Duration::from_secs_f64(secs);
    let (mut alone, mut attached, mut frames) = (vec![], vec![], vec![]);
    for round in 1..=3 {
        let a = without_page(points, window);
        // a runtime per round: dropping it ends the server, its session and its training
        let rt = tokio::runtime::Runtime::new().expect("tokio runtime");
        let (b, f) = rt.block_on(with_page(points, window));
        drop(rt);
        println!(
            "round {round}: no page {a:.1} epochs/s; page attached {b:.1} epochs/s, {f:.1} snapshots/s"
        );
        alone.push(a);
        attached.push(b);
        frames.push(f);
    }
    let (a, b, f) = (median(alone), median(attached), median(frames));
    println!(
        "{points} points, medians of 3: no page {a:.1} epochs/s; page attached {b:.1} epochs/s ({:.1}%), {f:.1} snapshots/s",
        100.0 * b / a
    );
}

fn without_page(points: usize, window: Duration) -> f64 {
    let job = runtime::spawn::<Latent3dJob>(Host::for_tests()).expect("the job starts");
    let (replies, _answers) = tokio::sync::mpsc::channel(8);
    for m in [
        json!({"type": "configure", "points": points}),
        json!({"type": "speed", "value": 0}),
        json!({"type": "play"}),
    ] {
        job.deliver(&m.to_string(), &replies).expect("accepted");
    }
    let epoch = || {
        job.snapshots().borrow().header["epoch"]
            .as_u64()
            .unwrap_or(0)
    };
    thread::sleep(Duration::from_millis(500));
    let (e0, t0) = (epoch(), Instant::now());
    thread::sleep(window);
    (epoch() - e0) as f64 / t0.elapsed().as_secs_f64()
}

/// The real server and a WebSocket client that decodes every frame.
async fn with_page(points: usize, window: Duration) -> (f64, f64) {
    {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let config = Config::for_address(addr, None);
        tokio::spawn(hourglass_server::serve(
            listener,
            config,
            std::future::pending(),
        ));
        let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/ws?page=latent3d"))
            .await
            .unwrap();
        for m in [
            json!({"type": "configure", "points": points}),
            json!({"type": "speed", "value": 0}),
            json!({"type": "play"}),
        ] {
            ws.send(Message::Text(m.to_string().into())).await.unwrap();
        }
        let mut first: Option<(Instant, u64)> = None;
        let mut last = (Instant::now(), 0u64);
        let mut count = 0u64;
        let warm = Instant::now() + Duration::from_millis(500);
        while let Some(Ok(msg)) = ws.next().await {
            let Message::Binary(bytes) = msg else {
                continue;
            };
            let (header, _) = decode(&bytes).unwrap();
            if header["run"]["training"] != true || Instant::now() < warm {
                continue;
            }
            let epoch = header["epoch"].as_u64().unwrap();
            let now = Instant::now();
            match first {
                None => first = Some((now, epoch)),
                Some((t, _)) => {
                    count += 1;
                    last = (now, epoch);
                    if now - t >= window {
                        break;
                    }
                }
            }
        }
        let (t, e) = first.unwrap();
        let dt = (last.0 - t).as_secs_f64();
        ((last.1 - e) as f64 / dt, count as f64 / dt)
    }
}
