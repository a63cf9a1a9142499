//! The worker script's view of the engine (wasm-bindgen): one [`Lab`] per worker, which
//! starts one page's job and is then handed the page's messages and ticked on a timer.

use std::sync::Arc;

use hourglass_lab::Encoded;
use js_sys::{Array, Object, Reflect, Uint8Array};
use wasm_bindgen::prelude::*;

use crate::{
    datasets::{SiteDatasets, SiteReader},
    host::{self, Hosting},
    models::{BrowserModels, Kept},
};

#[wasm_bindgen]
extern "C" {
    /// Defined by the worker script: told a panic's message before the module traps, so the
    /// page can say what failed (the worker is then started again).
    #[wasm_bindgen(js_namespace = globalThis, js_name = hourglassPanic)]
    fn report_panic(message: &str);
}

fn js_error(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

fn encoded(e: Encoded) -> JsValue {
    match e {
        Encoded::Text(t) => JsValue::from_str(&t),
        Encoded::Binary(b) => Uint8Array::from(b.as_slice()).into(),
    }
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "null".into())
}

/// The site's pages, as the navigation bar lists them.
#[wasm_bindgen]
pub fn pages() -> String {
    json(&host::page_links())
}

/// Reads a file under `base` with a synchronous request (allowed in a worker): the jobs read
/// datasets synchronously, as they read files on the server.
fn site_reader(base: String) -> SiteReader {
    Box::new(move |path| {
        let url = format!("{base}/{path}");
        let fail = |e: JsValue| format!("cannot read {url}: {e:?}");
        let xhr = web_sys::XmlHttpRequest::new().map_err(fail)?;
        xhr.open_with_async("GET", &url, false).map_err(fail)?;
        xhr.set_response_type(web_sys::XmlHttpRequestResponseType::Arraybuffer);
        xhr.send().map_err(fail)?;
        let status = xhr.status().map_err(fail)?;
        if status != 200 {
            return Err(format!("{url}: the site answered {status}"));
        }
        let body = xhr.response().map_err(fail)?;
        Ok(Uint8Array::new(&body).to_vec())
    })
}

#[wasm_bindgen]
pub struct Lab {
    datasets: Arc<SiteDatasets>,
    models: Arc<BrowserModels>,
    host: Option<Box<dyn Hosting>>,
    snapshot: Option<Encoded>,
}

#[wasm_bindgen]
impl Lab {
    /// `site`: the known datasets the site has under `base` (its `datasets/index.json`).
    #[wasm_bindgen(constructor)]
    pub fn new(site: Vec<String>, base: String) -> Lab {
        std::panic::set_hook(Box::new(|info| report_panic(&info.to_string())));
        Lab {
            datasets: Arc::new(SiteDatasets::new(site, site_reader(base))),
            models: Arc::new(BrowserModels::default()),
            host: None,
            snapshot: None,
        }
    }

    /// A model found in the browser's storage.
    pub fn restore_model(&self, file: &str, bytes: Vec<u8>) {
        self.models.restore(file, bytes);
    }

    /// An IDX file picked from disk: which dataset's file it is (JSON), or why it is none.
    pub fn pick_dataset_file(&self, name: &str, bytes: Vec<u8>) -> Result<String, JsError> {
        self.datasets
            .pick(name, bytes)
            .map(|r| json(&r))
            .map_err(js_error)
    }

    /// Starts the page's job; returns its greeting (JSON).
    pub fn start(&mut self, page: &str) -> Result<String, JsError> {
        let ctx = crate::context(self.datasets.clone(), self.models.clone());
        let host = host::start(page, ctx).map_err(js_error)?;
        let greeting = json(&host.greeting());
        self.host = Some(host);
        Ok(greeting)
    }

    /// One message from the page: its answer or error (text or a binary frame), if any.
    pub fn deliver(&mut self, text: &str) -> JsValue {
        match self.host.as_mut().and_then(|h| h.deliver(text)) {
            Some(e) => encoded(e),
            None => JsValue::UNDEFINED,
        }
    }

    /// Trains for a slice of `slice_ms` at most; returns the milliseconds until the next
    /// tick is due, or -1 when none is. A snapshot due is then in [`Lab::snapshot`].
    pub fn tick(&mut self, slice_ms: f64) -> f64 {
        let Some(host) = self.host.as_mut() else {
            return -1.0;
        };
        let t = host.tick(slice_ms / 1e3);
        if t.snapshot.is_some() {
            self.snapshot = t.snapshot;
        }
        t.next_ms.unwrap_or(-1.0)
    }

    /// The snapshot the last tick published, once.
    pub fn snapshot(&mut self) -> JsValue {
        self.snapshot.take().map_or(JsValue::NULL, encoded)
    }

    /// Model changes to write to the browser's storage: `[{op: "put", file, bytes} |
    /// {op: "delete", file}]`, oldest first.
    pub fn take_journal(&self) -> Array {
        let out = Array::new();
        for k in self.models.take_journal() {
            let o = Object::new();
            let set = |k: &str, v: JsValue| {
                let _ = Reflect::set(&o, &JsValue::from_str(k), &v);
            };
            match k {
                Kept::Put { file, bytes } => {
                    set("op", "put".into());
                    set("file", file.into());
                    set("bytes", Uint8Array::from(bytes.as_slice()).into());
                }
                Kept::Delete { file } => {
                    set("op", "delete".into());
                    set("file", file.into());
                }
            }
            out.push(&o);
        }
        out
    }

    /// A kept model's file, for a download.
    pub fn model_bytes(&self, name: &str) -> Option<Vec<u8>> {
        self.models.bytes(name)
    }

    /// A checkpoint from `hourglass train`, checked and kept (JSON: file, describe, epochs).
    pub fn upload_model(
        &self,
        name: &str,
        bytes: Vec<u8>,
        overwrite: bool,
    ) -> Result<String, JsError> {
        self.models
            .upload(name, bytes, overwrite)
            .map(|u| json(&u))
            .map_err(js_error)
    }

    /// A data set for the Studio, read as the server reads an upload (JSON: file, samples,
    /// labelled, scaled, changed).
    pub fn upload_dataset(&self, name: &str, bytes: Vec<u8>) -> Result<String, JsError> {
        self.datasets
            .upload(name, bytes)
            .map(|u| json(&u))
            .map_err(js_error)
    }
}
