//! The browser host's logic, natively: the page list the site ships, a job hosted and ticked
//! as the worker does, picked dataset files known by their sha256, and the models' journal.

use std::sync::Arc;

use hourglass_lab::{Encoded, ModelStore, StoreError};
use serde_json::Value;

use crate::{
    datasets::SiteDatasets,
    host,
    models::{BrowserModels, Kept},
};

/// A published frame's header.
fn header(e: &Encoded) -> Value {
    match e {
        Encoded::Text(t) => serde_json::from_str(t).unwrap_or(Value::Null),
        Encoded::Binary(b) => hourglass_lab::wire::decode(b).expect("a frame").0,
    }
}

/// The folder with mnist/ and fashion-mnist/: $HOURGLASS_TEST_DATA or ../shared/datasets.
fn test_data() -> std::path::PathBuf {
    let d = std::env::var_os("HOURGLASS_TEST_DATA").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/datasets"),
        std::path::PathBuf::from,
    );
    assert!(d.is_dir(), "test data not found: set HOURGLASS_TEST_DATA");
    d
}

fn no_site() -> SiteDatasets {
    SiteDatasets::new(Vec::new(), Box::new(|p| Err(format!("no {p}"))))
}

fn context() -> Arc<hourglass_lab::Context> {
    crate::context(Arc::new(no_site()), Arc::new(BrowserModels::default()))
}

#[test]
fn the_sites_page_list_is_the_engines() {
    let shipped: Value =
        serde_json::from_str(include_str!("../../../web/pages.json")).expect("web/pages.json");
    assert_eq!(shipped, serde_json::to_value(host::page_links()).unwrap());
}

#[test]
fn a_hosted_job_answers_trains_between_ticks_and_publishes() {
    let mut h = host::start("glass", context()).unwrap();
    assert_eq!(h.greeting()["page"], "glass");
    // the first tick publishes the first snapshot, and then nothing is due
    let t = h.tick(0.01);
    let first = header(t.snapshot.as_ref().expect("a first snapshot"));
    assert_eq!(first["type"], "snapshot");
    assert_eq!(first["epoch"], 0);
    assert_eq!(t.next_ms, None);
    // a malformed message is an error for the page, named
    let Some(Encoded::Text(e)) = h.deliver(r#"{"type":"fly"}"#) else {
        panic!("an error")
    };
    assert!(e.contains("\"type\":\"error\""), "{e}");
    // unpaced training runs a slice per tick, and asks for the next at once
    assert!(h.deliver(r#"{"type":"speed","value":0}"#).is_none());
    assert!(h.deliver(r#"{"type":"play"}"#).is_none());
    let mut epoch = 0;
    for _ in 0..200 {
        let t = h.tick(0.002);
        assert_eq!(t.next_ms, Some(0.0));
        if let Some(s) = t.snapshot {
            epoch = header(&s)["epoch"].as_u64().unwrap();
        }
        if epoch > 50 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(epoch > 50, "trained {epoch} epochs");
    // paused: the end is published at once, and the host goes idle
    h.deliver(r#"{"type":"pause"}"#);
    let t = h.tick(0.002);
    let last = header(t.snapshot.as_ref().expect("the pause is published"));
    assert_eq!(last["run"]["training"], false);
    assert_eq!(h.tick(0.002).next_ms, None);
    assert!(host::start("nope", context()).is_err());
}

#[test]
fn a_paced_job_waits_for_its_next_step() {
    let mut h = host::start("glass", context()).unwrap();
    h.tick(0.01);
    h.deliver(r#"{"type":"speed","value":10}"#);
    h.deliver(r#"{"type":"play"}"#);
    let t = h.tick(0.01);
    // one step ran; the next is due in about 100 ms (at most a publish period is slept)
    let wait = t.next_ms.unwrap();
    assert!(wait > 0.0 && wait <= 16.0 + 1e-9, "{wait}");
}

#[test]
fn picked_files_are_known_by_their_sha256_and_the_dataset_arrives_with_the_fourth() {
    let ds = no_site();
    let e = ds.pick("notes.gz", b"not mnist".to_vec()).unwrap_err();
    assert!(
        e.contains("not one of the files of MNIST or Fashion-MNIST"),
        "{e}"
    );
    let dir = test_data().join("mnist");
    assert_eq!(ds.present()[0], ("mnist".to_string(), false));
    use hourglass_lab::DatasetStore;
    for (i, f) in hourglass_data::KNOWN[0].files.iter().enumerate() {
        let r = ds
            .pick(f.name, std::fs::read(dir.join(f.name)).unwrap())
            .unwrap();
        assert_eq!((r.dataset, r.file, r.have), ("mnist", f.name, i + 1));
    }
    assert_eq!(ds.present()[0], ("mnist".to_string(), true));
    assert_eq!(ds.fetching().unwrap().state, "done");
    assert_eq!(
        ds.load("mnist", hourglass_core::data::Split::Test)
            .unwrap()
            .len(),
        10_000
    );
}

#[test]
fn the_site_downloads_nothing_from_elsewhere_and_says_what_to_do() {
    use hourglass_lab::DatasetStore;
    let ds = no_site();
    let e = ds.fetch("mnist").unwrap_err().to_string();
    assert!(e.contains("pick its four IDX files"), "{e}");
    let e = ds
        .load("mnist", hourglass_core::data::Split::Train)
        .unwrap_err();
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
}

#[test]
fn models_are_journalled_for_the_browsers_storage_in_order() {
    let m = BrowserModels::default();
    let ck = hourglass_core::checkpoint::Checkpoint::from_bytes(
        "shipped",
        hourglass_lab::shipped::MODELS[0].bytes,
    )
    .unwrap();
    assert_eq!(m.write("a", &ck, false).unwrap(), "a.safetensors");
    assert!(matches!(
        m.write("a", &ck, false),
        Err(StoreError::Exists(_))
    ));
    m.rename("a", "b").unwrap();
    m.delete("b").unwrap();
    let j = m.take_journal();
    let ops: Vec<(&str, &str)> = j
        .iter()
        .map(|k| match k {
            Kept::Put { file, .. } => ("put", file.as_str()),
            Kept::Delete { file } => ("delete", file.as_str()),
        })
        .collect();
    assert_eq!(
        ops,
        [
            ("put", "a.safetensors"),
            ("put", "b.safetensors"),
            ("delete", "a.safetensors"),
            ("delete", "b.safetensors")
        ]
    );
    assert!(m.take_journal().is_empty());
    // an upload is checked as a checkpoint before it is kept
    let e = m.upload("x", b"nope".to_vec(), false).unwrap_err();
    assert!(
        e.to_string().contains("not a model Hourglass can read"),
        "{e}"
    );
    let u = m
        .upload("x", hourglass_lab::shipped::MODELS[0].bytes.to_vec(), false)
        .unwrap();
    assert_eq!(u.file, "x.safetensors");
    assert_eq!(
        m.bytes("x").unwrap(),
        hourglass_lab::shipped::MODELS[0].bytes
    );
}
