use hourglass_core::metrics::anomaly;

use super::*;
use crate::{
    DatasetStore, MemoryModels,
    testing::{Probe, TestDatasets, array, ask, run, test_data},
};

type P = Probe<UsesJob>;

fn probe() -> P {
    Probe::with(
        Arc::new(TestDatasets::new(&test_data())),
        Arc::new(MemoryModels::default()),
    )
}

#[test]
fn anomaly_detection_scores_every_test_image_and_its_auc_is_the_share_of_pairs_won() {
    let mut p = probe();
    let f = run(
        &mut p,
        json!({"experiment": "anomaly", "held_out": 7, "train_size": 10000, "epochs": 3}),
        |f| !f.header["anomaly"].is_null(),
    );
    let a = &f.header["anomaly"];
    assert_eq!(a["held_out"], 7);
    assert_eq!(a["count"], 10_000);
    let auc = a["auc"].as_f64().unwrap();
    assert!(auc > 0.6 && auc < 1.0, "AUC {auc}");
    // PCA's baseline is `hourglass anomaly --pca`'s: fitted on the first 10,000 normal
    // images of the whole training split, so the page and the CLI agree to the bit
    let data = TestDatasets::new(&test_data());
    let (train, test) = (
        data.load("mnist", Split::Train).unwrap(),
        data.load("mnist", Split::Test).unwrap(),
    );
    let is_normal = |l: u32| l != 7;
    let pca = anomaly::pca_baseline(&train, super::anomaly::CODE, &is_normal).unwrap();
    let s = anomaly::pca_errors(&pca, &test);
    let (n, an) = anomaly::split_scores(&s, test.labels.as_deref().unwrap(), &is_normal);
    assert_eq!(
        a["pca_auc"].as_f64().unwrap(),
        hourglass_core::metrics::auc(&n, &an).unwrap()
    );
    let r = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "anomaly"}),
    );
    let scores = array(&r, "scores");
    let labels = array(&r, "labels");
    assert_eq!(scores.len(), 10_000);
    // the AUC is the share of (normal, seven) pairs the sevens win
    let (sevens, others): (Vec<_>, Vec<_>) =
        scores.iter().zip(labels).partition(|(_, l)| **l == 7.0);
    let mut wins = 0.0;
    for (s, _) in sevens.iter().step_by(7) {
        for (o, _) in others.iter().step_by(7) {
            wins += if s > o {
                1.0
            } else if s == o {
                0.5
            } else {
                0.0
            };
        }
    }
    let sampled =
        wins / (sevens.iter().step_by(7).count() * others.iter().step_by(7).count()) as f64;
    assert!((sampled - auc).abs() < 0.03, "{sampled} vs {auc}");
    // the most anomalous images score highest and come first
    let worst = r.header["worst"].as_array().unwrap();
    assert_eq!(worst.len(), 16);
    let top = worst[0]["score"].as_f64().unwrap() as f32;
    assert!(scores.iter().all(|&s| s <= top));
    assert_eq!(array(&r, "worst_images").len(), 16 * PIXELS);
    let fpr = array(&r, "roc_fpr");
    assert_eq!((fpr[0], *fpr.last().unwrap()), (0.0, 1.0));
    // a drawing gets a score; a blank image reconstructs to something, scores finite
    let s = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "score", "pixels": vec![0.0; PIXELS]}),
    );
    assert!(s.header["score"].as_f64().unwrap().is_finite());
    assert_eq!(array(&s, "reconstruction").len(), PIXELS);
}

#[test]
fn denoising_beats_plain_on_noise_and_generation_samples_both_models() {
    let mut p = probe();
    run(
        &mut p,
        json!({"experiment": "denoise", "noise": "gaussian", "noise_level": 0.5, "train_size": 10000, "epochs": 3}),
        |f| !f.header["denoise"].is_null(),
    );
    let d = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "denoise", "count": 4}),
    );
    let psnr = |k: &str| d.header[k]["psnr"].as_f64().unwrap();
    assert!(psnr("denoised") > psnr("noisy") + 3.0, "{:?}", d.header);
    assert!(psnr("denoised") > psnr("plain"), "{:?}", d.header);
    assert_eq!(array(&d, "clean").len(), 4 * PIXELS);
    run(
        &mut p,
        json!({"experiment": "generate", "train_size": 2000, "epochs": 1}),
        |f| !f.header["generate"].is_null(),
    );
    let s = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "samples", "count": 9, "seed": 3}),
    );
    assert_eq!(array(&s, "vae").len(), 9 * PIXELS);
    let again = ask(
        &mut p,
        json!({"type": "query", "id": 3, "query": "samples", "count": 9, "seed": 3}),
    );
    assert_eq!(array(&s, "vae"), array(&again, "vae"));
    let m = ask(
        &mut p,
        json!({"type": "query", "id": 4, "query": "manifold", "n": 5}),
    );
    assert_eq!(array(&m, "plain").len(), 25 * PIXELS);
    let axis = m.header["axis"].as_array().unwrap();
    assert!(
        (axis[0].as_f64().unwrap() + 1.6449).abs() < 1e-3,
        "{axis:?}"
    );
    let i = ask(
        &mut p,
        json!({"type": "query", "id": 5, "query": "interpolate", "a": 0, "b": 1, "steps": 5}),
    );
    assert_eq!(array(&i, "vae").len(), 5 * PIXELS);
}

#[test]
fn the_compression_ladder_has_every_method_and_more_bits_cost_less_error() {
    let mut p = probe();
    let f = run(
        &mut p,
        json!({"experiment": "compress", "train_size": 2000, "epochs": 1}),
        |f| !f.header["compress"].is_null(),
    );
    let points = f.header["compress"]["points"].as_array().unwrap();
    let of = |m: &str| -> Vec<(f64, f64)> {
        points
            .iter()
            .filter(|p| p["method"] == m)
            .map(|p| (p["bits"].as_f64().unwrap(), p["mse"].as_f64().unwrap()))
            .collect()
    };
    for m in ["ae", "ae8", "pca", "pca8"] {
        assert_eq!(of(m).len(), LADDER.len(), "{m}");
    }
    // PCA's error falls with every component added
    let pca = of("pca");
    assert!(pca.windows(2).all(|w| w[1].1 < w[0].1), "{pca:?}");
    assert_eq!(pca[0].0, 64.0);
    // JPEG: more bytes at higher quality, less error
    let jpeg = of("jpeg");
    assert_eq!(jpeg.len(), JPEG_QUALITIES.len());
    assert!(jpeg.first().unwrap().0 < jpeg.last().unwrap().0);
    assert!(jpeg.first().unwrap().1 > jpeg.last().unwrap().1);
    let r = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "compress_images", "method": "pca8", "size": 16}),
    );
    assert_eq!(array(&r, "reconstruction").len(), 8 * PIXELS);
}

#[test]
fn maps_form_from_pca_tsne_and_umap_and_keep_neighbourhoods() {
    let mut p = probe();
    let f = run(
        &mut p,
        json!({"experiment": "project", "method": "pca", "source": "codes", "points": 600}),
        |f| f.header["map"]["trust"].is_number(),
    );
    let pca_trust = f.header["map"]["trust"].as_f64().unwrap();
    assert_eq!(array(&f, "map_xy").len(), 1200);
    let f = run(&mut p, json!({"method": "tsne", "perplexity": 20}), |f| {
        f.header["map"]["trust"].is_number() && f.header["map"]["method"] == "tsne"
    });
    let m = &f.header["map"];
    let trust = m["trust"].as_f64().unwrap();
    assert!(
        trust > 0.9 && trust > pca_trust,
        "t-SNE {trust}, PCA {pca_trust}"
    );
    assert_eq!(m["iteration"], TSNE_ITERATIONS);
    // UMAP: 500 epochs for so few points, as trustworthy
    let f = run(&mut p, json!({"method": "umap", "neighbours": 10}), |f| {
        f.header["map"]["trust"].is_number() && f.header["map"]["method"] == "umap"
    });
    let m = &f.header["map"];
    let umap_trust = m["trust"].as_f64().unwrap();
    assert!(
        umap_trust > 0.9 && umap_trust > pca_trust,
        "UMAP {umap_trust}, PCA {pca_trust}"
    );
    assert_eq!(
        (m["iteration"].as_u64(), m["iterations"].as_u64()),
        (Some(500), Some(500))
    );
    assert_eq!(array(&f, "map_xy").len(), 1200);
    let n = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "neighbours", "index": 3, "k": 5}),
    );
    assert_eq!(n.header["neighbours"].as_array().unwrap().len(), 5);
    assert_eq!(array(&n, "images").len(), 5 * PIXELS);
    // a bad query says what is wrong
    let e = p.refused(r#"{"type":"query","id":2,"query":"neighbours","index":600}"#);
    assert!(e.contains("index"), "{e}");
}

/// A map is work done in steps the host takes: it searches neighbours a few blocks a step
/// (the page sees how many), then iterates; a paused page takes no steps, so the map waits;
/// a changed setting drops it.
#[test]
fn a_map_forms_step_by_step_waits_while_paused_and_a_changed_setting_drops_it() {
    let mut p = probe();
    p.send(r#"{"type":"configure","experiment":"project","method":"tsne","source":"codes","points":3000}"#);
    p.send(r#"{"type":"play"}"#);
    // the first step reads the images (the page hears the map is being prepared), the next
    // prepares the run; 3,000 points are 12 blocks of 256: three steps of four
    let map = |p: &mut P| p.latest().header["map"].clone();
    p.run(1);
    let m = map(&mut p);
    assert_eq!(
        (m["preparing"].clone(), m["running"].clone()),
        (json!(true), json!(true))
    );
    assert_eq!(m["searched"], Value::Null);
    p.run(1);
    assert_eq!(map(&mut p)["preparing"], false);
    assert_eq!(map(&mut p)["searched"], 0);
    p.run(1);
    assert_eq!(map(&mut p)["searched"], 1024);
    assert!(
        p.latest().arrays.is_empty(),
        "no coordinates while searching"
    );
    p.run(2);
    // the search is done (and the perplexity calibrated): the map has its start
    let m = map(&mut p);
    assert_eq!(
        (m["searched"].clone(), m["iteration"].clone()),
        (Value::Null, json!(0))
    );
    assert_eq!(array(&p.latest(), "map_xy").len(), 6000);
    p.run(10);
    assert_eq!(map(&mut p)["iteration"], 10);
    p.send(r#"{"type":"pause"}"#);
    assert_eq!(p.run(50), 0, "a paused page takes no steps");
    assert_eq!(map(&mut p)["iteration"], 10);
    p.send(r#"{"type":"play"}"#);
    p.run(1);
    assert_eq!(map(&mut p)["iteration"], 11);
    p.send(r#"{"type":"configure","points":2000}"#);
    assert!(map(&mut p).is_null());
}

#[test]
fn the_experiments_are_one_type_on_the_wire_and_a_bad_one_is_named() {
    let mut p = probe();
    let hello = p.driver.greeting();
    assert_eq!(
        hello["info"]["experiments"],
        json!(["anomaly", "denoise", "compress", "generate", "project"])
    );
    let e = p.refused(r#"{"type":"configure","experiment":"cluster"}"#);
    assert_eq!(
        e,
        "experiment 'cluster' is not one of anomaly, denoise, compress, generate, project"
    );
    let e = p.refused(r#"{"type":"configure","noise":"speckle"}"#);
    assert!(
        e.contains("'speckle' is not one of gaussian, mask, salt-pepper"),
        "{e}"
    );
    p.send(r#"{"type":"configure","experiment":"denoise","noise":"salt-pepper"}"#);
    let f = p.latest();
    assert_eq!(f.header["settings"]["experiment"], "denoise");
    assert_eq!(f.header["settings"]["noise"], "salt-pepper");
}
