//! The pages whose jobs live here, one folder each. The server's registry (and the browser's
//! worker) list them in the navigation bar's order.

pub mod digits;
pub mod glass;
pub mod latent3d;
pub mod studio;
pub mod uses;

#[cfg(test)]
mod tests {
    use hourglass_core::settings::Settings;
    use serde_json::Value;

    use super::*;
    use crate::PageJob;

    /// The values a number field offers include its default, so a page's select lists them in
    /// order (a default missing from the list was appended last: epochs 1 | 3 | 10 | 5).
    fn offers_its_default<J: PageJob>() {
        for f in J::Settings::schema_json().as_array().unwrap() {
            if f["kind"] != "number" {
                continue;
            }
            let Some(choices) = f["choices"].as_array() else {
                continue;
            };
            let default = f["default"].as_f64().unwrap();
            assert!(
                choices.iter().any(|c| c.as_f64() == Some(default)),
                "{}: {} offers {} without its default {default}",
                J::NAME,
                f["name"],
                Value::Array(choices.clone())
            );
            let values: Vec<f64> = choices.iter().filter_map(Value::as_f64).collect();
            assert!(
                values.windows(2).all(|w| w[0] < w[1]),
                "{}: {} offers {values:?} out of order",
                J::NAME,
                f["name"]
            );
        }
    }

    #[test]
    fn every_page_offers_its_defaults_in_order() {
        offers_its_default::<glass::GlassJob>();
        offers_its_default::<latent3d::Latent3dJob>();
        offers_its_default::<digits::DigitsJob>();
        offers_its_default::<studio::StudioJob>();
        offers_its_default::<uses::UsesJob>();
    }
}
