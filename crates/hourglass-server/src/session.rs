//! Sessions: one per browser tab, each owning one job for its page. A session whose tab has
//! been gone for the grace period is dropped, and its job stops with it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rand::Rng as _;

use crate::{
    pages::PageEntry,
    runtime::{Host, JobLink, WireError},
};

pub struct Session {
    pub link: Arc<dyn JobLink>,
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

    /// Attaches to session `id` if it exists for this page, else starts one. Errors when
    /// the bound is hit or the job cannot start.
    pub fn attach(
        &self,
        page: &PageEntry,
        id: Option<&str>,
        ctx: &Arc<Host>,
    ) -> Result<(String, Arc<dyn JobLink>), WireError> {
        let mut map = self.inner.lock().expect("session table");
        if let Some(id) = id
            && let Some(s) = map.get_mut(id)
            && s.link.page() == page.name
        {
            s.connections += 1;
            s.gone_since = None;
            return Ok((id.to_string(), s.link.clone()));
        }
        if map.len() >= self.max {
            return Err(WireError::new(
                "full",
                format!(
                    "the server is full: {} sessions are open; close another Hourglass tab",
                    self.max
                ),
            ));
        }
        let id: String = {
            let mut rng = rand::rng();
            (0..16)
                .map(|_| format!("{:x}", rng.random_range(0..16u8)))
                .collect()
        };
        let link = (page.start)(ctx.clone())?;
        map.insert(
            id.clone(),
            Session {
                link: link.clone(),
                connections: 1,
                gone_since: None,
            },
        );
        Ok((id, link))
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
