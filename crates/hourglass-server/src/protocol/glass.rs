//! The Glass Box's messages.
//!
//! Page → server: `{"type": "train" | "stop" | "step"}`, `{"type": "reset", "seed": N}`,
//! `{"type": "set_input", "input": [9 numbers in 0..=1]}`, `{"type": "set_lr", "value": x}`,
//! `{"type": "set_momentum", "value": x}`, `{"type": "set_speed", "value": x}`.
//! Server → page: `{"type": "session", "id": …}`, `{"type": "snapshot", …}`,
//! `{"type": "error", "message": …}`.

use serde::Deserialize;

use super::{check_fields, in_range, malformed};
use crate::glass_job::{GlassCommand, MAX_SPEED};

/// Learning-rate range of the glass box's slider.
pub const LR_RANGE: (f64, f64) = (0.01, 0.5);
/// Momentum range of the glass box's slider.
pub const MOMENTUM_RANGE: (f64, f64) = (0.0, 0.99);

#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum ClientMessage {
    Train,
    Stop,
    Step,
    Reset { seed: u64 },
    SetInput { input: Vec<f64> },
    SetLr { value: f64 },
    SetMomentum { value: f64 },
    SetSpeed { value: f64 },
}

/// Parses and checks one text message from a page.
pub fn parse(text: &str) -> Result<GlassCommand, String> {
    let value: serde_json::Value = serde_json::from_str(text).map_err(malformed)?;
    check_fields(&value, |t| match t {
        "reset" => &["seed"],
        "set_input" => &["input"],
        "set_lr" | "set_momentum" | "set_speed" => &["value"],
        _ => &[],
    })?;
    let msg: ClientMessage = serde_json::from_value(value).map_err(malformed)?;
    Ok(match msg {
        ClientMessage::Train => GlassCommand::Train,
        ClientMessage::Stop => GlassCommand::Stop,
        ClientMessage::Step => GlassCommand::Step,
        ClientMessage::Reset { seed } => GlassCommand::Reset(seed),
        ClientMessage::SetInput { input } => {
            if input.len() != 9 {
                return Err(format!(
                    "input has {} values; the glass box takes 9",
                    input.len()
                ));
            }
            let mut x = [0.0; 9];
            for (i, v) in input.iter().enumerate() {
                x[i] = in_range("input value", *v, (0.0, 1.0))?;
            }
            GlassCommand::SetInput(x)
        }
        ClientMessage::SetLr { value } => {
            GlassCommand::SetLearningRate(in_range("learning rate", value, LR_RANGE)?)
        }
        ClientMessage::SetMomentum { value } => {
            GlassCommand::SetMomentum(in_range("momentum", value, MOMENTUM_RANGE)?)
        }
        ClientMessage::SetSpeed { value } => {
            GlassCommand::SetSpeed(in_range("speed", value, (1.0, MAX_SPEED))?)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_checks() {
        assert_eq!(parse(r#"{"type":"train"}"#), Ok(GlassCommand::Train));
        assert_eq!(
            parse(r#"{"type":"reset","seed":4}"#),
            Ok(GlassCommand::Reset(4))
        );
        assert_eq!(
            parse(r#"{"type":"set_lr","value":0.2}"#),
            Ok(GlassCommand::SetLearningRate(0.2))
        );
        assert!(
            parse(r#"{"type":"set_lr","value":0.9}"#)
                .unwrap_err()
                .contains("learning rate")
        );
        assert!(parse(r#"{"type":"set_momentum","value":-1}"#).is_err());
        assert!(
            parse(r#"{"type":"set_input","input":[1,0]}"#)
                .unwrap_err()
                .contains("9")
        );
        assert!(
            parse(r#"{"type":"launch"}"#)
                .unwrap_err()
                .starts_with("malformed message")
        );
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"type":"train","extra":1}"#).is_err());
    }
}
