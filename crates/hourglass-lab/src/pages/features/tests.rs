use hourglass_core::probe::{Probe as LinearProbe, ProbeOptions, first_per_class};

use super::*;
use crate::{
    DatasetStore, MemoryModels,
    testing::{Probe, TestDatasets, array, ask, run, test_data},
};

type P = Probe<FeaturesJob>;

fn with_data() -> P {
    Probe::with(
        Arc::new(TestDatasets::new(&test_data())),
        Arc::new(MemoryModels::default()),
    )
}

fn trained(p: &mut P, settings: Value) -> Frame {
    run(p, settings, |f| !f.header["dictionary"].is_null())
}

#[test]
fn a_topk_dictionary_keeps_k_features_per_image_and_its_cards_read_back() {
    let mut p = with_data();
    let f = trained(
        &mut p,
        json!({"task": "dictionary", "width": 256, "k": 16, "train_size": 10000, "epochs": 1}),
    );
    let d = &f.header["dictionary"];
    assert_eq!(d["width"], 256);
    assert!((d["l0"].as_f64().unwrap() - 16.0).abs() < 1e-9, "{d}");
    let fvu = d["fvu"].as_f64().unwrap();
    assert!(fvu > 0.0 && fvu < 0.5, "FVU {fvu}");
    assert_eq!(d["analysed"], 10_000);
    assert_eq!(f.header["frontier"].as_array().unwrap().len(), 1);
    assert!(!f.header["pca"].is_null());

    let cards = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "cards", "sort": "rate", "count": 12}),
    );
    let list = cards.header["cards"].as_array().unwrap();
    assert_eq!(list.len(), 12);
    assert_eq!(array(&cards, "directions").len(), 12 * 784);
    let rates: Vec<f64> = list.iter().map(|c| c["rate"].as_f64().unwrap()).collect();
    assert!(rates.windows(2).all(|w| w[0] >= w[1]), "{rates:?}");

    // a feature's top images are the ones it fires most on, and each of them uses it
    let j = list[0]["index"].as_u64().unwrap() as usize;
    let card = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "feature", "index": j}),
    );
    let top = card.header["top"].as_array().unwrap();
    assert_eq!(top.len(), 9);
    assert_eq!(array(&card, "top_pixels").len(), 9 * 784);
    let acts: Vec<f64> = top
        .iter()
        .map(|t| t["activation"].as_f64().unwrap())
        .collect();
    assert!(acts.windows(2).all(|w| w[0] >= w[1]), "{acts:?}");
    let classes: f64 = card.header["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_f64().unwrap())
        .sum();
    assert!((classes - 1.0).abs() < 1e-9);
    let image = top[0]["image"].as_u64().unwrap();
    let used = ask(
        &mut p,
        json!({"type": "query", "id": 3, "query": "image", "index": image}),
    );
    assert_eq!(used.header["active"], 16);
    let strongest = &used.header["features"].as_array().unwrap();
    assert!(strongest.iter().any(|u| u["index"] == j));
    assert_eq!(array(&used, "reconstruction").len(), 784);

    // clamping a feature changes the reconstruction by its direction; its own value none
    let was = strongest[0]["activation"].as_f64().unwrap();
    let k = strongest[0]["index"].as_u64().unwrap();
    let same = ask(
        &mut p,
        json!({"type": "query", "id": 4, "query": "steer", "index": image, "feature": k, "value": was}),
    );
    assert!(same.header["largest_change"].as_f64().unwrap() < 1e-5);
    let off = ask(
        &mut p,
        json!({"type": "query", "id": 5, "query": "steer", "index": image, "feature": k, "value": 0.0}),
    );
    assert!(off.header["largest_change"].as_f64().unwrap() > 1e-3);
    let (orig, steered) = (array(&off, "original"), array(&off, "reconstruction"));
    assert_ne!(orig, steered);
}

#[test]
fn bad_questions_are_refused_with_what_was_wrong() {
    let mut p = Probe::<FeaturesJob>::start();
    let e = p.refused(r#"{"type":"query","id":1,"query":"cards"}"#);
    assert!(e.contains("train one first"), "{e}");
    let e = p.refused(r#"{"type":"configure","width":64,"k":100}"#);
    assert!(e.contains("cannot exceed"), "{e}");
    // on the shipped sample (no dataset here): 1,000 images train, 1,000 measure
    let f = trained(
        &mut p,
        json!({"task": "dictionary", "width": 64, "k": 8, "train_size": 1000}),
    );
    assert_eq!(f.header["sample"], true);
    assert_eq!(f.header["dictionary"]["analysed"], 1000);
    let e = p.refused(r#"{"type":"query","id":2,"query":"feature","index":64}"#);
    assert!(e.contains("64 features"), "{e}");
    let e = p.refused(r#"{"type":"query","id":3,"query":"image"}"#);
    assert!(e.contains("one of the two"), "{e}");
    let e =
        p.refused(r#"{"type":"query","id":4,"query":"steer","index":0,"feature":1,"value":1e9}"#);
    assert!(e.contains("value"), "{e}");
    let e = p.refused(r#"{"type":"query","id":5,"query":"image","pixels":[0.5]}"#);
    assert!(e.contains("784"), "{e}");
    let e = p.refused(r#"{"type":"query","id":6,"query":"cards","sort":"colour"}"#);
    assert!(e.contains("colour") || e.contains("variant"), "{e}");
}

#[test]
fn the_frontier_trains_each_k_and_pca_is_beside_it() {
    let mut p = Probe::<FeaturesJob>::start();
    let f = run(
        &mut p,
        json!({"task": "frontier", "width": 64, "train_size": 1000, "epochs": 1}),
        |f| {
            f.header["frontier"]
                .as_array()
                .is_some_and(|a| a.len() == 5)
        },
    );
    let points = f.header["frontier"].as_array().unwrap();
    let l0: Vec<f64> = points.iter().map(|p| p["l0"].as_f64().unwrap()).collect();
    // each TopK dictionary uses at most its k (all of it once trained a little)
    for (l, k) in l0.iter().zip(train::FRONTIER_KS) {
        assert!(
            *l <= k as f64 + 1e-9 && *l > 0.5 * k as f64,
            "L0 {l} for k {k}"
        );
    }
    let pca = f.header["pca"].as_array().unwrap();
    let fvus: Vec<f64> = pca.iter().map(|p| p[1].as_f64().unwrap()).collect();
    assert!(fvus.windows(2).all(|w| w[1] < w[0]), "{fvus:?}");
}

#[test]
fn the_probe_on_pixels_equals_the_cli_fit_and_every_representation_gets_a_line() {
    let mut p = with_data();
    let f = run(&mut p, json!({"task": "probe"}), |f| {
        f.header["probe_lines"].as_array().is_some_and(|l| {
            !l.is_empty()
                && l.iter()
                    .all(|l| !l["points"].as_array().unwrap().is_empty())
        })
    });
    let lines = f.header["probe_lines"].as_array().unwrap();
    let names: Vec<&str> = lines.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pixels", "pca", "mnist-30d"]);
    let page = lines[0]["points"][0][1].as_f64().unwrap();
    assert_eq!(lines[0]["points"][0][0], 10);
    // the same fit in one run, as `hourglass probe` makes it
    let data = TestDatasets::new(&test_data());
    let (train, test) = (
        data.load("mnist", Split::Train).unwrap(),
        data.load("mnist", Split::Test).unwrap(),
    );
    let chosen = first_per_class(train.labels.as_deref().unwrap(), 10);
    let x = train.subset(&chosen);
    let probe = LinearProbe::fit(
        &x.values,
        784,
        x.labels.as_deref().unwrap(),
        &ProbeOptions::default(),
    )
    .unwrap();
    let t = test.take(probe::TEST_IMAGES);
    let cli = probe
        .accuracy(&t.values, t.labels.as_deref().unwrap())
        .unwrap();
    assert!((page - cli).abs() <= 0.005, "page {page} against {cli}");
    assert!(page > 0.5, "{page}");
}

#[test]
fn a_dictionary_of_a_hidden_layer_draws_and_steers_through_the_rest_of_the_model() {
    let mut p = Probe::<FeaturesJob>::start();
    let f = trained(
        &mut p,
        json!({"task": "dictionary", "source": "layer-2", "width": 128, "k": 8, "train_size": 1000, "epochs": 2}),
    );
    let d = &f.header["dictionary"];
    assert!(
        d["name"]
            .as_str()
            .unwrap()
            .contains("second hidden layer (100)"),
        "{d}"
    );
    assert!((d["l0"].as_f64().unwrap() - 8.0).abs() < 1e-9, "{d}");
    let cards = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "cards", "count": 2}),
    );
    assert_eq!(array(&cards, "directions").len(), 2 * 784);
    let used = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "image", "index": 3}),
    );
    let recon = array(&used, "reconstruction");
    assert!(
        recon.iter().all(|v| (0.0..=1.0).contains(v)),
        "the model's sigmoid output"
    );
    let j = used.header["features"][0]["index"].as_u64().unwrap();
    let off = ask(
        &mut p,
        json!({"type": "query", "id": 3, "query": "steer", "index": 3, "feature": j, "value": 0.0}),
    );
    assert!(off.header["largest_change"].as_f64().unwrap() > 1e-3);
}

#[test]
fn a_dictionary_of_a_models_codes_shows_its_features_through_the_models_decoder() {
    let mut p = Probe::<FeaturesJob>::start();
    let f = trained(
        &mut p,
        json!({"task": "dictionary", "source": "codes", "width": 64, "k": 4, "train_size": 1000, "epochs": 3}),
    );
    let d = &f.header["dictionary"];
    assert!(
        d["name"].as_str().unwrap().contains("30-D model's codes"),
        "{d}"
    );
    assert!((d["l0"].as_f64().unwrap() - 4.0).abs() < 1e-9, "{d}");
    // PCA on 30 numbers: up to 16 components of the curve (32 and more are past the input)
    let ks: Vec<u64> = f.header["pca"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p[0].as_u64().unwrap())
        .collect();
    assert_eq!(ks, [1, 2, 4, 8, 16]);
    let cards = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "cards", "count": 4}),
    );
    // each direction is an image: what the model's decoder adds when the feature fires
    let dirs = array(&cards, "directions");
    assert_eq!(dirs.len(), 4 * 784);
    assert!(dirs.iter().any(|v| v.abs() > 1e-3));
    let used = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "image", "index": 0}),
    );
    assert_eq!(array(&used, "reconstruction").len(), 784);
    let j = used.header["features"][0]["index"].as_u64().unwrap();
    let off = ask(
        &mut p,
        json!({"type": "query", "id": 3, "query": "steer", "index": 0, "feature": j, "value": 0.0}),
    );
    assert!(off.header["largest_change"].as_f64().unwrap() > 1e-3);
    // the probe reads the dictionary's features of the model's codes of the images
    let f = run(&mut p, json!({"task": "probe"}), |f| {
        f.header["probe_lines"].as_array().is_some_and(|l| {
            l.iter()
                .any(|l| l["name"] == "dictionary" && !l["points"].as_array().unwrap().is_empty())
        })
    });
    let line = f.header["probe_lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["name"] == "dictionary")
        .unwrap()
        .clone();
    assert_eq!(line["dim"], 64);
}

#[test]
fn the_probe_with_every_label_adds_a_point_for_all_of_them() {
    let mut p = Probe::<FeaturesJob>::start();
    let f = run(
        &mut p,
        json!({"task": "probe", "probe_up_to": "all"}),
        |f| {
            f.header["probe"].is_null()
                && f.header["probe_lines"].as_array().is_some_and(|l| {
                    !l.is_empty() && l.iter().all(|l| l["points"].as_array().unwrap().len() == 4)
                })
        },
    );
    // on the shipped sample the pool is its first 1,000 images, about 100 a class: a point
    // says how many labels per class it really had
    for line in f.header["probe_lines"].as_array().unwrap() {
        let ns: Vec<u64> = line["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p[0].as_u64().unwrap())
            .collect();
        assert_eq!(ns[0], 10, "{line}");
        assert!(ns[1] > 80 && ns[1] <= 100, "{line}");
        assert_eq!(ns[2], 100, "{line}");
        assert_eq!(ns[3], 100, "{line}");
    }
    assert_eq!(f.header["sample"], true);
}

#[test]
fn the_probe_reads_the_kept_models_of_the_dataset_and_skips_the_others() {
    let store = Arc::new(MemoryModels::default());
    let bytes = |name: &str| crate::shipped::model(name).unwrap().bytes.to_vec();
    store.put("mine.safetensors", bytes("mnist-2d"));
    store.put("clothes.safetensors", bytes("fashion-2d"));
    store.put("broken.safetensors", b"not a checkpoint".to_vec());
    let (ctx, _) = crate::testing::context();
    let mut p = Probe::<FeaturesJob>::with(ctx.datasets.clone(), store);
    let f = run(&mut p, json!({"task": "probe"}), |f| {
        f.header["probe_lines"].as_array().is_some_and(|l| {
            !l.is_empty()
                && l.iter()
                    .all(|l| !l["points"].as_array().unwrap().is_empty())
        })
    });
    let lines = f.header["probe_lines"].as_array().unwrap();
    let names: Vec<&str> = lines.iter().map(|l| l["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["pixels", "pca", "mnist-30d", "mine.safetensors"]);
    assert_eq!(lines[3]["label"], "kept mine (plain, 2)");
    assert_eq!(lines[3]["dim"], 2);
}
