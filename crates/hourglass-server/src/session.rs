//! Sessions: one per browser tab, each owning one glass-box job. A session whose tab has
//! been gone for the grace period is dropped, and its training stops with it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rand::Rng as _;

use tokio::sync::watch;

use crate::glass_job::{GlassCommand, GlassJob, GlassSnapshot};

pub struct Session {
    pub job: GlassJob,
    /// Open WebSocket connections.
    connections: usize,
    /// When the last connection closed.
    gone_since: Option<Instant>,
}

/// All sessions, bounded in number.
pub struct Sessions {
    inner: Mutex<HashMap<String, Session>>,
    max: usize,
    grace: Duration,
}

impl Sessions {
    pub fn new(max: usize, grace: Duration) -> Self {
        Sessions {
            inner: Mutex::new(HashMap::new()),
            max,
            grace,
        }
    }

    pub fn count(&self) -> usize {
        self.inner.lock().expect("session table").len()
    }

    /// Attaches to session `id` if it exists, else creates one. Errors when the bound is hit.
    pub fn attach(
        &self,
        id: Option<&str>,
    ) -> Result<(String, watch::Receiver<Arc<GlassSnapshot>>), String> {
        let mut map = self.inner.lock().expect("session table");
        if let Some(id) = id
            && let Some(s) = map.get_mut(id)
        {
            s.connections += 1;
            s.gone_since = None;
            return Ok((id.to_string(), s.job.subscribe()));
        }
        if map.len() >= self.max {
            return Err(format!(
                "too many sessions ({}); close another Hourglass tab",
                self.max
            ));
        }
        let id: String = {
            let mut rng = rand::rng();
            (0..16)
                .map(|_| format!("{:x}", rng.random_range(0..16u8)))
                .collect()
        };
        // a new session starts from seed 1; the page resets it to its URL's seed
        let job = GlassJob::start(1);
        let rx = job.subscribe();
        map.insert(
            id.clone(),
            Session {
                job,
                connections: 1,
                gone_since: None,
            },
        );
        Ok((id, rx))
    }

    /// Sends a command to session `id`'s job.
    pub fn send(&self, id: &str, cmd: GlassCommand) -> bool {
        self.inner
            .lock()
            .expect("session table")
            .get(id)
            .is_some_and(|s| s.job.send(cmd))
    }

    /// A connection to `id` closed.
    pub fn detach(&self, id: &str) {
        if let Some(s) = self.inner.lock().expect("session table").get_mut(id) {
            s.connections = s.connections.saturating_sub(1);
            if s.connections == 0 {
                s.gone_since = Some(Instant::now());
            }
        }
    }

    /// Drops sessions whose tab has been gone longer than the grace period.
    pub fn reap(&self) -> usize {
        let mut map = self.inner.lock().expect("session table");
        let before = map.len();
        map.retain(|_, s| s.gone_since.is_none_or(|t| t.elapsed() < self.grace));
        before - map.len()
    }
}
