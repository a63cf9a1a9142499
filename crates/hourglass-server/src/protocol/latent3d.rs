//! The 3D Latent Explorer's messages.
//!
//! Page → server: `{"type": "play" | "pause" | "step" | "reset"}`;
//! `{"type": "configure", …}` with any of `dataset` (a built-in shape's name), `points`
//! (2–2000), `noise` (0–1), `seed`, `lr` (1e-4–0.1), `activation` (tanh, sigmoid, relu),
//! `latent` (1–3), `trail_every` (epochs), `speed` (epochs/s, 0 = as fast as it goes);
//! `{"type": "upload", "name": "points.csv", "csv": "x,y,z rows"}`;
//! `{"type": "moment", "index": i}` asks for timeline moment `i`.
//! Server → page: `{"type": "datasets", "sets": […]}` once (thumbnails), then binary
//! snapshot frames (see [`crate::frames`]).

use hourglass_core::{
    data::{MAX_POINTS, Shape3d, points_from_csv},
    glass::{Activation, EXPLORER_ACTIVATIONS, EXPLORER_LATENTS, EXPLORER_LR_RANGE},
};
use serde::Deserialize;

use super::{check_fields, in_range, malformed};
use crate::latent3d_job::{Configure, Latent3dCommand, MAX_SPEED, TRAIL_EVERY_RANGE};

/// Longest uploaded file name kept (longer ones are cut).
const MAX_NAME: usize = 80;

/// What a page asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Latent3dRequest {
    Command(Latent3dCommand),
    /// Timeline moment `index`.
    Moment(usize),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMessage {
    Play,
    Pause,
    Step,
    Reset,
    Configure {
        dataset: Option<String>,
        points: Option<u64>,
        noise: Option<f64>,
        seed: Option<u64>,
        lr: Option<f64>,
        activation: Option<String>,
        latent: Option<u64>,
        trail_every: Option<u64>,
        speed: Option<f64>,
    },
    Upload {
        name: String,
        csv: String,
    },
    Moment {
        index: usize,
    },
}

fn whole_in(name: &str, v: u64, lo: u64, hi: u64) -> Result<u64, String> {
    if (lo..=hi).contains(&v) {
        Ok(v)
    } else {
        Err(format!("{name} {v} is outside {lo}–{hi}"))
    }
}

/// Parses and checks one text message from the explorer page.
pub fn parse(text: &str) -> Result<Latent3dRequest, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(malformed)?;
    check_fields(&value, |t| match t {
        "configure" => &[
            "dataset",
            "points",
            "noise",
            "seed",
            "lr",
            "activation",
            "latent",
            "trail_every",
            "speed",
        ],
        "upload" => &["name", "csv"],
        "moment" => &["index"],
        _ => &[],
    })?;
    let msg: ClientMessage = serde_json::from_value(value).map_err(malformed)?;
    let cmd = match msg {
        ClientMessage::Play => Latent3dCommand::Play,
        ClientMessage::Pause => Latent3dCommand::Pause,
        ClientMessage::Step => Latent3dCommand::Step,
        ClientMessage::Reset => Latent3dCommand::Reset,
        ClientMessage::Moment { index } => return Ok(Latent3dRequest::Moment(index)),
        ClientMessage::Upload { name, csv } => {
            let name: String = name.chars().take(MAX_NAME).collect();
            let name = if name.trim().is_empty() {
                "upload.csv".to_string()
            } else {
                name
            };
            let mut set = points_from_csv(&name, csv.as_bytes()).map_err(|e| e.to_string())?;
            set.fit_unit_cube();
            Latent3dCommand::Upload {
                name,
                points: set.points,
            }
        }
        ClientMessage::Configure {
            dataset,
            points,
            noise,
            seed,
            lr,
            activation,
            latent,
            trail_every,
            speed,
        } => {
            let activation = activation
                .map(|a| {
                    a.parse::<Activation>()
                        .ok()
                        .filter(|a| EXPLORER_ACTIVATIONS.contains(a))
                        .ok_or(format!(
                            "activation '{a}' is not one of tanh, sigmoid, relu"
                        ))
                })
                .transpose()?;
            let latent = latent
                .map(|l| {
                    EXPLORER_LATENTS
                        .iter()
                        .copied()
                        .find(|&k| k as u64 == l)
                        .ok_or(format!("latent size {l} is not one of 1, 2, 3"))
                })
                .transpose()?;
            let speed = speed
                .map(|s| {
                    if s == 0.0 {
                        Ok(0.0)
                    } else {
                        in_range("speed", s, (1.0, MAX_SPEED))
                    }
                })
                .transpose()?;
            Latent3dCommand::Configure(Configure {
                dataset: dataset
                    .map(|d| d.parse::<Shape3d>().map_err(|e| e.to_string()))
                    .transpose()?,
                points: points
                    .map(|p| whole_in("point count", p, 2, MAX_POINTS as u64).map(|p| p as usize))
                    .transpose()?,
                noise: noise
                    .map(|v| in_range("noise", v, (0.0, 1.0)))
                    .transpose()?,
                seed,
                lr: lr
                    .map(|v| in_range("learning rate", v, EXPLORER_LR_RANGE))
                    .transpose()?,
                activation,
                latent,
                trail_every: trail_every
                    .map(|k| {
                        whole_in(
                            "trail interval",
                            k,
                            TRAIL_EVERY_RANGE.0,
                            TRAIL_EVERY_RANGE.1,
                        )
                    })
                    .transpose()?,
                speed,
            })
        }
    };
    Ok(Latent3dRequest::Command(cmd))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(text: &str) -> Latent3dCommand {
        match parse(text).unwrap() {
            Latent3dRequest::Command(c) => c,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn parses_and_checks() {
        assert_eq!(cmd(r#"{"type":"play"}"#), Latent3dCommand::Play);
        assert_eq!(
            parse(r#"{"type":"moment","index":3}"#),
            Ok(Latent3dRequest::Moment(3))
        );
        let Latent3dCommand::Configure(c) = cmd(
            r#"{"type":"configure","dataset":"twisted-cubic","points":100,"lr":0.001,"activation":"relu","latent":3,"speed":0}"#,
        ) else {
            panic!()
        };
        assert_eq!(c.dataset, Some(Shape3d::TwistedCubic));
        assert_eq!(c.points, Some(100));
        assert_eq!(c.activation, Some(Activation::Relu));
        assert_eq!(c.latent, Some(3));
        assert_eq!(c.speed, Some(0.0));
        assert_eq!(c.noise, None);
        let err = |t: &str| parse(t).unwrap_err();
        assert!(err(r#"{"type":"configure","dataset":"cube"}"#).contains("cube"));
        assert!(err(r#"{"type":"configure","points":5000}"#).contains("point count 5000"));
        assert!(err(r#"{"type":"configure","lr":1}"#).contains("learning rate 1"));
        assert!(err(r#"{"type":"configure","latent":4}"#).contains("latent size 4"));
        assert!(err(r#"{"type":"configure","activation":"linear"}"#).contains("linear"));
        assert!(err(r#"{"type":"configure","speed":0.5}"#).contains("speed"));
        assert!(err(r#"{"type":"configure","colour":1}"#).contains("unknown field 'colour'"));
        assert!(err(r#"{"type":"play","x":1}"#).contains("unknown field"));
        assert!(err(r#"{"type":"fly"}"#).starts_with("malformed message"));
    }

    #[test]
    fn uploads_are_read_and_fitted_or_refused_with_the_reason() {
        let Latent3dCommand::Upload { name, points } =
            cmd(r#"{"type":"upload","name":"p.csv","csv":"x,y,z\n0,0,0\n4,2,2\n"}"#)
        else {
            panic!()
        };
        assert_eq!(name, "p.csv");
        assert_eq!(points, vec![[-1.0, -0.5, -0.5], [1.0, 0.5, 0.5]]);
        let e = parse(r#"{"type":"upload","name":"bad.csv","csv":"1,2\n3,4\n"}"#).unwrap_err();
        assert!(e.contains("bad.csv") && e.contains("exactly 3"), "{e}");
        let e = parse(r#"{"type":"upload","name":"w.csv","csv":"1,2,x\n"}"#).unwrap_err();
        assert!(e.contains("w.csv"), "{e}");
    }
}
