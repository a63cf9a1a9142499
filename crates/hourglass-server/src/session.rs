//! Sessions: one per browser tab, each owning one training job for its page. A session whose
//! tab has been gone for the grace period is dropped, and its training stops with it.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use rand::Rng as _;

use tokio::sync::watch;

use crate::{
    glass_job::{GlassCommand, GlassJob, GlassSnapshot},
    latent3d_job::{Latent3dCommand, Latent3dJob, Latent3dSnapshot, Timeline},
};

/// The pages that drive a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Page {
    Glass,
    Latent3d,
}

impl std::str::FromStr for Page {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "glass" => Ok(Page::Glass),
            "latent3d" => Ok(Page::Latent3d),
            _ => Err(format!("unknown page '{s}' (expected glass or latent3d)")),
        }
    }
}

/// A session's training job.
pub enum Job {
    Glass(GlassJob),
    Latent3d(Latent3dJob),
}

impl Job {
    fn start(page: Page) -> Self {
        match page {
            // a new session starts from seed 1; the page resets it to its URL's seed
            Page::Glass => Job::Glass(GlassJob::start(1)),
            Page::Latent3d => Job::Latent3d(Latent3dJob::start()),
        }
    }

    fn page(&self) -> Page {
        match self {
            Job::Glass(_) => Page::Glass,
            Job::Latent3d(_) => Page::Latent3d,
        }
    }

    fn link(&self) -> Link {
        match self {
            Job::Glass(j) => Link::Glass(j.subscribe()),
            Job::Latent3d(j) => Link::Latent3d(j.subscribe(), j.timeline()),
        }
    }
}

/// What a connection reads from its session's job.
pub enum Link {
    Glass(watch::Receiver<Arc<GlassSnapshot>>),
    Latent3d(watch::Receiver<Arc<Latent3dSnapshot>>, Arc<Mutex<Timeline>>),
}

/// A checked command for a session's job.
pub enum Command {
    Glass(GlassCommand),
    Latent3d(Latent3dCommand),
}

pub struct Session {
    pub job: Job,
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

    /// Attaches to session `id` if it exists for this page, else creates one. Errors when
    /// the bound is hit.
    pub fn attach(&self, page: Page, id: Option<&str>) -> Result<(String, Link), String> {
        let mut map = self.inner.lock().expect("session table");
        if let Some(id) = id
            && let Some(s) = map.get_mut(id)
            && s.job.page() == page
        {
            s.connections += 1;
            s.gone_since = None;
            return Ok((id.to_string(), s.job.link()));
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
        let job = Job::start(page);
        let link = job.link();
        map.insert(
            id.clone(),
            Session {
                job,
                connections: 1,
                gone_since: None,
            },
        );
        Ok((id, link))
    }

    /// Sends a command to session `id`'s job.
    pub fn send(&self, id: &str, cmd: Command) -> bool {
        self.inner
            .lock()
            .expect("session table")
            .get(id)
            .is_some_and(|s| match (&s.job, cmd) {
                (Job::Glass(j), Command::Glass(c)) => j.send(c),
                (Job::Latent3d(j), Command::Latent3d(c)) => j.send(c),
                _ => false,
            })
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
