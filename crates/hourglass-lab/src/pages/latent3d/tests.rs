use super::*;
use crate::{
    Encoded, decode,
    testing::{Probe, array},
};

fn epoch(f: &Frame) -> u64 {
    f.header["epoch"].as_u64().unwrap()
}

#[test]
fn plays_pauses_steps_and_resets_with_a_timeline() {
    let mut p = Probe::<Latent3dJob>::start();
    let first = p.latest();
    assert_eq!(epoch(&first), 0);
    assert_eq!(array(&first, "points").len(), 200 * 3);
    assert_eq!(array(&first, "codes").len(), 200 * 2);
    assert_eq!(first.header["timeline"], json!([0]));
    p.send(r#"{"type":"speed","value":0}"#);
    p.send(r#"{"type":"play"}"#);
    p.run(600);
    let s = p.latest();
    assert_eq!(s.header["run"]["training"], true);
    assert!(s.header["loss"].as_f64() < first.header["loss"].as_f64());
    let te = s.header["trails_epoch"].as_u64().unwrap();
    assert!(te.is_multiple_of(50) && te + 100 > epoch(&s));
    p.send(r#"{"type":"pause"}"#);
    assert_eq!(p.latest().header["run"]["training"], false);
    let frozen = epoch(&p.latest());
    assert_eq!(p.run(10), 0, "pause stops the steps");
    assert_eq!(epoch(&p.latest()), frozen, "pause freezes the epoch");
    p.send(r#"{"type":"step"}"#);
    let stepped = p.latest();
    assert_eq!(epoch(&stepped), frozen + 1);
    // the timeline holds a moment every 50 epochs, starting at 0
    let tl = stepped.header["timeline"].as_array().unwrap();
    assert!(tl.len() >= 12);
    assert!(tl.iter().all(|e| e.as_u64().unwrap().is_multiple_of(50)));
    let m = p.ask(r#"{"type":"query","id":9,"query":"moment","index":3}"#);
    assert_eq!((m.header["id"].as_u64(), epoch(&m)), (Some(9), 150));
    assert_eq!(m.header["moment"], 3);
    assert!(m.header["loss"].as_f64() > s.header["loss"].as_f64());
    let e = p.refused(r#"{"type":"query","id":10,"query":"moment","index":100000}"#);
    assert!(e.contains("does not exist"), "{e}");
    p.send(r#"{"type":"reset"}"#);
    let r = p.latest();
    assert_eq!(epoch(&r), 0);
    assert_eq!(
        array(&r, "codes"),
        array(&first, "codes"),
        "same seed, same start"
    );
    assert_eq!(r.header["timeline"], json!([0]));
    assert!(
        r.header["timeline_generation"].as_u64() > first.header["timeline_generation"].as_u64()
    );
    // the whole snapshot survives the wire
    let Encoded::Binary(bytes) = r.encode() else {
        panic!("a binary frame")
    };
    let (h, arrays) = decode(&bytes).unwrap();
    assert_eq!(h["type"], "snapshot");
    assert_eq!(
        arrays.len(),
        7,
        "points, codes, reconstructions, errors, trails, PCA codes and errors"
    );
}

#[test]
fn changing_the_dataset_pauses_and_resets_and_bad_settings_change_nothing() {
    let mut p = Probe::<Latent3dJob>::start();
    p.send(r#"{"type":"speed","value":0}"#);
    p.send(r#"{"type":"play"}"#);
    p.run(101);
    p.send(r#"{"type":"configure","dataset":"saddle","points":40,"latent":1}"#);
    let s = p.latest();
    assert_eq!(s.header["settings"]["dataset"], "saddle");
    assert_eq!(s.header["run"]["training"], false);
    assert_eq!(epoch(&s), 0);
    assert_eq!(array(&s, "points").len(), 40 * 3);
    assert_eq!(array(&s, "codes").len(), 40);
    assert_eq!(array(&s, "pca_codes").len(), 40);
    assert!(s.header["pca_error"].as_f64().unwrap() > 0.0);
    assert_eq!(s.header["sizes"], json!([3, 64, 64, 1, 64, 64, 3]));
    // the learning rate applies without a reset
    p.send(r#"{"type":"configure","lr":0.05}"#);
    let s = p.latest();
    assert_eq!(s.header["settings"]["lr"], 0.05);
    assert_eq!(s.header["settings"]["dataset"], "saddle");
    // refused at once, or by the job, with the reason; nothing changes
    assert!(
        p.refused(r#"{"type":"configure","points":5000}"#)
            .contains("point count 5000")
    );
    assert!(
        p.refused(r#"{"type":"configure","dataset":"cube"}"#)
            .contains("cube")
    );
    assert!(
        p.refused(r#"{"type":"configure","dataset":"upload"}"#)
            .contains("upload a CSV first")
    );
    assert_eq!(p.latest().header["settings"]["dataset"], "saddle");
}

#[test]
fn uploads_replace_the_points_or_are_refused_with_the_reason() {
    let mut p = Probe::<Latent3dJob>::start();
    let csv: String = (0..30)
        .map(|i| format!("{},0.5,-0.5\n", i as f64 / 30.0))
        .collect();
    p.send(
        &json!({"type": "upload", "name": "line.csv", "csv": format!("x,y,z\n{csv}")}).to_string(),
    );
    let s = p.latest();
    assert_eq!(s.header["settings"]["dataset"], UPLOADED);
    assert_eq!(s.header["dataset_label"], "line.csv");
    assert_eq!(s.header["settings"]["points"], 30);
    // a line is one-dimensional: PCA reconstructs it exactly
    assert!(s.header["pca_error"].as_f64().unwrap() < 1e-12);
    let e = p.refused(r#"{"type":"upload","name":"bad.csv","csv":"1,2\n3,4\n"}"#);
    assert!(e.contains("bad.csv") && e.contains("exactly 3"), "{e}");
    assert_eq!(p.latest().header["dataset_label"], "line.csv");
}

#[test]
fn the_timeline_stays_bounded_and_keeps_the_start() {
    let mut t = Timeline::default();
    for e in 0..5000u64 {
        t.push(Moment {
            epoch: e * 10,
            loss: 1.0,
            codes: vec![0.0; 50],
            reconstructions: vec![0.0; 75],
            errors: vec![0.0; 25],
            trails: vec![0.0; 50],
        });
    }
    assert!(t.len() < TIMELINE_MOMENTS.1);
    let epochs = t.epochs();
    assert_eq!(epochs[0], 0);
    assert_eq!(*epochs.last().unwrap(), 49_990);
    assert!(epochs.windows(2).all(|w| w[0] < w[1]));
    // recent moments are dense
    assert_eq!(epochs[epochs.len() - 2], 49_980);
}
