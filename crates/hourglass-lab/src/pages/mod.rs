//! The pages whose jobs live here, one folder each. [`pages!`](crate::pages!) lists them once,
//! in the navigation bar's order, for every host's registry (the server's, the browser's).

pub mod digits;
pub mod features;
pub mod glass;
pub mod latent3d;
pub mod studio;
pub mod uses;

/// Every page's job, in the navigation bar's order: `pages!(entry)` is `[entry!(GlassJob),
/// entry!(Latent3dJob), …]`, so a host builds its registry (even a `const` one) from this one
/// list. Adding a page adds a line here.
#[macro_export]
macro_rules! pages {
    ($entry:ident) => {
        [
            $entry!($crate::pages::glass::GlassJob),
            $entry!($crate::pages::latent3d::Latent3dJob),
            $entry!($crate::pages::digits::DigitsJob),
            $entry!($crate::pages::studio::StudioJob),
            $entry!($crate::pages::uses::UsesJob),
            $entry!($crate::pages::features::FeaturesJob),
        ]
    };
}

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
        offers_its_default::<features::FeaturesJob>();
    }
}
