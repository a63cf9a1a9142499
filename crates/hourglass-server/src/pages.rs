//! The registry of pages: one line per page. It feeds the navigation bar (`GET
//! /api/pages`), the page routes, and `/ws?page=…`. The web side mounts
//! `web/pages/<name>.js` for each.

use crate::runtime::{self, PageJob, StartJob, WireError};

/// A page: its name (and path `/<name>`), its title, and how its job starts.
pub struct PageEntry {
    pub name: &'static str,
    pub title: &'static str,
    pub start: StartJob,
}

const fn page<J: PageJob>() -> PageEntry {
    PageEntry {
        name: J::NAME,
        title: J::TITLE,
        start: runtime::spawn::<J>,
    }
}

macro_rules! entry {
    ($job:ty) => {
        page::<$job>()
    };
}

/// Every page, in the navigation bar's order (the lab's one list).
pub const PAGES: &[PageEntry] = &hourglass_lab::pages!(entry);

/// The page called `name`.
pub fn find(name: &str) -> Result<&'static PageEntry, WireError> {
    PAGES.iter().find(|p| p.name == name).ok_or_else(|| {
        let names: Vec<&str> = PAGES.iter().map(|p| p.name).collect();
        WireError::new(
            "not_found",
            format!(
                "unknown page '{name}' (expected one of {})",
                names.join(", ")
            ),
        )
    })
}
