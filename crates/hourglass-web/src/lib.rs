//! Hourglass in the browser: the static site's engine. The pages' jobs (`hourglass-lab`) run
//! compiled to wasm32 in a dedicated Web Worker (`web/worker.js`), one job per tab, hosted
//! here as the server hosts them on its threads: [`host`] paces training and publishes
//! snapshots; [`datasets`] reads MNIST and Fashion-MNIST from the site's own origin or the
//! learner's disk, and the Studio's uploads; [`models`] keeps models in memory with a journal
//! the worker writes through to IndexedDB. The JavaScript bindings are in `bindings.rs`
//! (wasm32 only); everything else is plain Rust, tested natively.

pub mod datasets;
pub mod host;
pub mod models;

#[cfg(target_arch = "wasm32")]
mod bindings;

use std::sync::Arc;

use hourglass_lab::{Clock, Context};

/// The host's clock: `performance.now()` in a worker (std's `Instant` natively).
pub struct WebClock(web_time::Instant);

impl Default for WebClock {
    fn default() -> Self {
        WebClock(web_time::Instant::now())
    }
}

impl Clock for WebClock {
    fn now(&self) -> f64 {
        self.0.elapsed().as_secs_f64()
    }
}

/// The context every job of the site gets.
pub fn context(
    datasets: Arc<datasets::SiteDatasets>,
    models: Arc<models::BrowserModels>,
) -> Arc<Context> {
    Arc::new(Context {
        clock: Arc::new(WebClock::default()),
        datasets,
        models,
    })
}

#[cfg(test)]
mod tests;
