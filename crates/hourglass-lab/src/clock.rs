//! Time as the host tells it. A job never reads the system clock itself: `std::time::Instant`
//! panics on wasm32-unknown-unknown, and the browser's clock is `performance.now()`.

/// A monotonic clock: seconds since some fixed moment of the host's choosing.
pub trait Clock: Send + Sync {
    fn now(&self) -> f64;
}

/// A clock that only moves when told (tests, and hosts that step jobs by hand).
#[derive(Debug, Default)]
pub struct ManualClock {
    micros: std::sync::atomic::AtomicU64,
}

impl ManualClock {
    /// Moves the clock forward by `seconds`.
    pub fn advance(&self, seconds: f64) {
        let d = (seconds.max(0.0) * 1e6) as u64;
        self.micros
            .fetch_add(d, std::sync::atomic::Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> f64 {
        self.micros.load(std::sync::atomic::Ordering::Relaxed) as f64 / 1e6
    }
}
