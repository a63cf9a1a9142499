use hourglass_core::data::{LabelColumn, read_csv};

use super::*;
use crate::{
    DatasetStore, MemoryModels,
    testing::{Probe, TestDatasets, array, ask, test_data},
};

type P = Probe<StudioJob>;

/// Steps enough for any run of these tests.
const LONG: usize = 100_000;

fn probe(models: Arc<MemoryModels>) -> P {
    probe_with(Arc::new(TestDatasets::new(&test_data())), models)
}

fn probe_with(datasets: Arc<TestDatasets>, models: Arc<MemoryModels>) -> P {
    Probe::with(datasets, models)
}

/// The model settings build over grey 28×28 images.
fn architecture_of(s: &StudioSettings) -> Result<Architecture, build::ConfigError> {
    architecture(s, GREY)
}

fn temp_models(_tag: &str) -> Arc<MemoryModels> {
    Arc::new(MemoryModels::default())
}

fn with(patch: Value) -> StudioSettings {
    StudioSettings::default()
        .patched(patch.as_object().unwrap())
        .unwrap()
}

#[test]
fn an_impossible_model_names_its_layer_and_why() {
    let ok = architecture(&StudioSettings::default(), GREY).unwrap();
    assert_eq!(ok.describe(), "dense 784-256-128-32 (relu, sigmoid out)");
    assert_eq!(
        ok.param_count().unwrap(),
        2 * (784 * 256 + 256 * 128 + 128 * 32) + 256 + 128 + 32 + 128 + 256 + 784
    );
    let conv = architecture_of(&with(json!({"kind": "conv"}))).unwrap();
    assert_eq!(conv.latent_size(), 32);
    let cases = [
        (json!({"layers": "256,abc"}), "layers", Some(2), "'abc'"),
        (json!({"layers": "256,0"}), "layers", Some(2), "1 to 4096"),
        (
            json!({"layers": "1,2,3,4,5,6,7,8,9"}),
            "layers",
            Some(9),
            "at most 8",
        ),
        (
            json!({"kind": "conv", "convs": "16:3:2"}),
            "convs",
            Some(1),
            "filters:kernel:stride:padding",
        ),
        (
            json!({"kind": "conv", "convs": "16:3:2:1,32:3:2:1,64:9:1:0"}),
            "convs",
            Some(3),
            "7×7",
        ),
        (
            json!({"kind": "conv", "convs": "16:3:2:3"}),
            "convs",
            Some(1),
            "padding 3",
        ),
        (
            json!({"kind": "conv", "convs": ""}),
            "convs",
            Some(1),
            "at least one",
        ),
        (
            json!({"layers": "4096,4096,4096"}),
            "layers",
            None,
            "parameters",
        ),
    ];
    // one grammar of conv layers: the CLI's `--conv` refuses the same layer in the same words
    let short = architecture_of(&with(json!({"kind": "conv", "convs": "16:3:2"}))).unwrap_err();
    assert_eq!(
        short.message,
        hourglass_core::architecture::parse_convs("16:3:2")
            .unwrap_err()
            .to_string()
    );
    let mixed = architecture_of(&with(
        json!({"layers": "256,128", "activations": "tanh,relu"}),
    ))
    .unwrap();
    assert_eq!(
        mixed.describe(),
        "dense 784-256-128-32 (tanh/relu, sigmoid out)"
    );
    assert_eq!(mixed.hidden_activation(0), Activation::Tanh);
    let same = architecture_of(&with(json!({"activations": "tanh,tanh"}))).unwrap();
    assert_eq!(
        same.describe(),
        "dense 784-256-128-32 (tanh, sigmoid out)",
        "one for all is said once"
    );
    let cases = [
        (
            json!({"activations": "relu"}),
            "activations",
            None,
            "1 activations for 2 hidden layers",
        ),
        (
            json!({"activations": "relu,swish"}),
            "activations",
            Some(2),
            "hidden layer 2",
        ),
    ]
    .into_iter()
    .chain(cases);
    for (patch, field, layer, words) in cases {
        let e = architecture_of(&with(patch.clone())).unwrap_err();
        assert_eq!((e.field, e.layer), (field, layer), "{patch}: {e:?}");
        assert!(e.message.contains(words), "{patch}: {}", e.message);
    }
}

#[test]
fn variants_train_with_their_terms_and_are_kept_in_the_file() {
    // a variant and its code are checked with the rest of the model
    let e = architecture_of(&with(json!({"variant": "vae", "code": "relu"}))).unwrap_err();
    assert_eq!(e.field, "code");
    assert!(e.message.contains("gaussian"), "{}", e.message);
    let e = architecture_of(&with(
        json!({"variant": "sparse", "sparsity": "kl", "code": "relu"}),
    ))
    .unwrap_err();
    assert!(e.message.contains("sigmoid"), "{}", e.message);
    let vae = architecture_of(&with(json!({"variant": "vae"}))).unwrap();
    assert_eq!(vae.code(), Code::Gaussian);
    assert!(vae.describe().contains("gaussian code"));
    let dir = temp_models("variants");
    let mut p = probe(dir.clone());
    let e = p.refused(r#"{"type":"configure","variant":"vae","code":"sigmoid"}"#);
    assert!(e.contains("gaussian"), "{e}");
    p.send(r#"{"type":"configure","train_size":1200,"layers":"64","latent":4,"batch":100,"epochs":1,"variant":"vae","beta":2,"loss":"bce"}"#);
    p.until(LONG, |f| f.header["variant"] == "vae (β 2)");
    p.send(r#"{"type":"play"}"#);
    let done = p.until(LONG, |f| {
        f.header["run"]["training"] == false && f.header["epochs_done"] == 1
    });
    // the chart's terms: one point per step, and the loss is their weighted sum
    let terms = done.header["terms"].as_array().unwrap();
    let names: Vec<&str> = terms.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["reconstruction", "kl"]);
    assert_eq!(terms[1]["points"].as_array().unwrap().len(), 11);
    let row = &done.header["history"][0];
    let (rec, kl) = (
        row["terms"][0][1].as_f64().unwrap(),
        row["terms"][1][1].as_f64().unwrap(),
    );
    assert!(kl > 0.0 && rec > 50.0, "{row}: summed over 784 pixels");
    assert!((row["train_loss"].as_f64().unwrap() - (rec + 2.0 * kl)).abs() < 1e-3 * rec);
    // the validation loss is the VAE's (nats per image), not a per-pixel mean
    assert!(row["val_loss"].as_f64().unwrap() > 50.0, "{row}");
    p.send(r#"{"type":"save","name":"vae"}"#);
    p.until(LONG, |f| f.header["saved"]["name"] == "vae");
    let ck = dir.read("vae").unwrap();
    assert_eq!(ck.config.training.variant, Variant::Vae { beta: 2.0 });
    assert_eq!(ck.config.architecture.code(), Code::Gaussian);
    // loaded back (after another variant), its settings say what it is
    p.send(r#"{"type":"configure","variant":"denoising","noise":"mask","noise_level":0.3}"#);
    p.until(LONG, |f| f.header["variant"] == "denoising (mask:0.3)");
    p.send(r#"{"type":"load","name":"vae"}"#);
    let back = p.until(LONG, |f| f.header["loaded"] == "vae");
    assert_eq!(back.header["settings"]["variant"], "vae");
    assert_eq!(back.header["settings"]["beta"], 2.0);
    assert_eq!(back.header["variant"], "vae (β 2)");
}

#[test]
fn a_model_trained_here_is_saved_with_the_metrics_the_page_showed() {
    let dir = temp_models("train");
    let mut p = probe(dir.clone());
    // an impossible model is refused and changes nothing; `check` explains it first
    let c = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "check", "settings": {"kind": "conv", "convs": "16:3:2:1,32:3:2:1,64:9:1:0"}}),
    );
    assert_eq!(c.header["ok"], false);
    assert_eq!(c.header["error"]["layer"], 3);
    let e = p.refused(r#"{"type":"configure","kind":"conv","convs":"16:3:2:1,32:3:2:1,64:9:1:0"}"#);
    assert!(e.contains("conv layer 3"), "{e}");
    p.send(
        r#"{"type":"configure","train_size":1200,"layers":"64","latent":8,"batch":100,"epochs":2}"#,
    );
    let f = p.until(LONG, |f| {
        f.header["arch"]["describe"] == "dense 784-64-8 (relu, sigmoid out)"
    });
    assert_eq!(f.header["settings"]["kind"], "dense");
    p.send(r#"{"type":"play"}"#);
    let done = p.until(LONG, |f| {
        f.header["run"]["training"] == false && f.header["epochs_done"] == 2
    });
    assert_eq!(
        done.header["steps_per_epoch"], 11,
        "1,080 images in batches of 100"
    );
    assert_eq!(done.header["progress"], 1.0);
    assert!(
        done.header["run"]["notice"]["text"]
            .as_str()
            .unwrap()
            .contains("Trained 2 epochs")
    );
    let history = done.header["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    for row in history {
        assert!(row["val_loss"].as_f64().unwrap() > 0.0);
        assert!(row["psnr"].as_f64().unwrap() > 5.0);
        assert!(row["ssim"].as_f64().unwrap() > -1.0);
    }
    assert!(history[1]["val_loss"].as_f64() < history[0]["val_loss"].as_f64());
    assert_eq!(done.header["grid_ready"], true);
    let g = ask(&mut p, json!({"type": "query", "id": 9, "query": "grid"}));
    assert_eq!(array(&g, "grid").len(), GRID * PIXELS);
    assert_eq!(array(&g, "recon").len(), GRID * PIXELS);
    assert_eq!(g.header["weights_version"], done.header["weights_version"]);
    // a third epoch is refused until asked for; "one more epoch" asks for it
    p.send(r#"{"type":"step"}"#);
    let told = p.until(LONG, |f| {
        f.header["run"]["notice"]["text"]
            .as_str()
            .is_some_and(|t| t.contains("raise Epochs"))
    });
    assert_eq!(told.header["epochs_done"], 2);
    p.send(r#"{"type":"more"}"#);
    p.send(r#"{"type":"play"}"#);
    let three = p.until(LONG, |f| {
        f.header["epochs_done"] == 3 && f.header["run"]["training"] == false
    });
    assert_eq!(three.header["history"].as_array().unwrap().len(), 3);
    // what is inside: every layer's activations for one image, and the first layer's filters
    let a = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "activations", "index": 0}),
    );
    let shapes: Vec<Value> = a.header["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["shape"].clone())
        .collect();
    assert_eq!(shapes, [json!([64]), json!([8]), json!([64]), json!([784])]);
    let names: Vec<&str> = a.header["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["encoder.0", "latent", "decoder.0", "output"]);
    assert_eq!(array(&a, "a3").len(), 784);
    let fl = ask(
        &mut p,
        json!({"type": "query", "id": 3, "query": "filters"}),
    );
    assert_eq!(
        (fl.header["shown"].as_u64(), fl.header["height"].as_u64()),
        (Some(64), Some(28))
    );
    assert_eq!(array(&fl, "filters").len(), 64 * 784);
    // saved: the file holds the model, and its test metrics are those shown
    p.send(r#"{"type":"save","name":"tiny"}"#);
    let saved = p.until(LONG, |f| f.header["saved"]["name"] == "tiny");
    let ck = dir.read("tiny").unwrap();
    assert_eq!(ck.config.epochs_trained, 3);
    let model =
        Autoencoder::from_tensors(&ck.config.architecture, &ck.tensors, &inference_device())
            .unwrap();
    let test = TestDatasets::new(&test_data())
        .load("mnist", Split::Test)
        .unwrap();
    let e = evaluate(&model, &test, 512).unwrap();
    let shown = &saved.header["saved"]["metrics"];
    assert!((shown["mse"].as_f64().unwrap() - e.mse).abs() < 1e-9);
    assert!((shown["ssim"].as_f64().unwrap() - e.ssim.unwrap()).abs() < 1e-9);
    assert_eq!(ck.config.metrics["test_mse"], e.mse);
    let models = saved.header["models"].as_array().unwrap();
    assert_eq!(models.len(), 1);
    assert_eq!(models[0]["name"], "tiny");
    // compared with the model here (the same weights: the same figures) and itself
    let c = ask(
        &mut p,
        json!({"type": "query", "id": 5, "query": "compare", "a": "current", "b": "tiny"}),
    );
    let (ma, mb) = (&c.header["models"][0], &c.header["models"][1]);
    assert_eq!(ma["metrics"]["mse"], mb["metrics"]["mse"]);
    assert_eq!(mb["metrics"]["mse"].as_f64().unwrap(), e.mse);
    assert_eq!(
        mb["history"].as_array().unwrap().len(),
        3,
        "the loss curve is in the file"
    );
    assert_eq!(array(&c, "a"), array(&c, "b"));
    assert_eq!(array(&c, "images").len(), GRID * PIXELS);
    let e2 = p.refused(r#"{"type":"query","id":6,"query":"compare","a":"current","b":"nothing"}"#);
    assert!(e2.contains("nothing"), "{e2}");
    // saving again under the same name is refused unless replacing is asked for
    let e = p.refused(r#"{"type":"save","name":"tiny"}"#);
    assert!(e.contains("already"), "{e}");
    for bad in ["../x", "a/b", ".hidden", "caf\u{e9}"] {
        let e = p.refused(&json!({"type": "save", "name": bad}).to_string());
        assert!(e.contains(bad), "{bad}: {e}");
    }
    // rename, load (settings and weights come back), delete
    p.send(r#"{"type":"rename","from":"tiny","to":"small one"}"#);
    p.until(LONG, |f| f.header["models"][0]["name"] == "small one");
    p.send(r#"{"type":"reset"}"#);
    p.send(r#"{"type":"configure","layers":"32,16","latent":4}"#);
    p.until(LONG, |f| {
        f.header["trained"] == false && f.header["settings"]["latent"] == 4
    });
    p.send(r#"{"type":"load","name":"small one"}"#);
    let loaded = p.until(LONG, |f| f.header["loaded"] == "small one");
    assert_eq!(loaded.header["settings"]["layers"], "64");
    assert_eq!(loaded.header["settings"]["latent"], 8);
    assert_eq!(loaded.header["epochs_done"], 3);
    assert_eq!(loaded.header["settings"]["epochs"], 4);
    // its own history comes with it, for the chart
    assert_eq!(loaded.header["before"].as_array().map(Vec::len), Some(3));
    let b = ask(
        &mut p,
        json!({"type": "query", "id": 4, "query": "activations", "index": 0}),
    );
    assert_eq!(
        array(&b, "a3"),
        array(&a, "a3"),
        "the loaded model is the saved one"
    );
    // a checkpoint whose loss, optimizer or output layer the Studio does not offer is refused
    // by name, not read as another (a loss not "bce" was once read as MSE)
    let kept = dir.read("small one").unwrap();
    let mut odd = kept.clone();
    odd.config.training.loss = "huber".into();
    dir.write("odd loss", &odd, false).unwrap();
    let e = p.refused(r#"{"type":"load","name":"odd loss"}"#);
    assert_eq!(
        e,
        "cannot load 'odd loss': its loss 'huber' is not one of mse, bce"
    );
    let mut odd = kept.clone();
    odd.config.training.optimizer = "rmsprop".into();
    dir.write("odd optimizer", &odd, false).unwrap();
    let e = p.refused(r#"{"type":"load","name":"odd optimizer"}"#);
    assert!(
        e.contains("its optimizer 'rmsprop' is not one of adam, sgd"),
        "{e}"
    );
    let mut odd = kept.clone();
    if let Architecture::Dense { output, .. } = &mut odd.config.architecture {
        *output = Activation::Tanh;
    }
    dir.write("tanh out", &odd, false).unwrap();
    let e = p.refused(r#"{"type":"load","name":"tanh out"}"#);
    assert!(e.contains("its output layer is tanh"), "{e}");
    // and the page's settings are as they were
    assert_eq!(p.latest().header["loaded"], "small one");
    for name in ["odd loss", "odd optimizer", "tanh out"] {
        dir.delete(name).unwrap();
    }
    p.send(r#"{"type":"delete","name":"small one"}"#);
    p.until(LONG, |f| {
        f.header["models"].as_array().is_some_and(|m| m.is_empty())
    });
    assert!(!dir.exists("small one").unwrap());
}

#[test]
fn an_uploaded_data_set_trains_and_a_bad_one_changes_nothing() {
    let dir = temp_models("upload");
    let uploads = Arc::new(TestDatasets::new(&test_data()));
    // MNIST's CSV layout: the label, then 784 pixels from 0 to 255
    let test = TestDatasets::new(&test_data())
        .load("mnist", Split::Test)
        .unwrap();
    let labels = test.labels.clone().unwrap();
    let text: String = (0..300)
        .map(|i| {
            std::iter::once(labels[i].to_string())
                .chain(
                    test.sample(i)
                        .iter()
                        .map(|v| ((v * 255.0).round() as u32).to_string()),
                )
                .collect::<Vec<_>>()
                .join(",")
                + "\n"
        })
        .collect();
    // read as the server's reader reads MNIST's CSV layout (the label column first)
    let label = LabelColumn::Index(0);
    uploads.put_upload(
        "mine.csv",
        read_csv("mine.csv", text.as_bytes(), Some(&label)).unwrap(),
    );
    uploads.put_upload(
        "narrow.csv",
        read_csv("narrow.csv", b"1,2,3\n4,5,6\n", None).unwrap(),
    );
    let mut p = probe_with(uploads, dir.clone());
    let e = p.refused(r#"{"type":"configure","dataset":"upload:narrow.csv"}"#);
    assert!(e.contains("784"), "{e}");
    let e = p.refused(r#"{"type":"configure","dataset":"upload:../x.csv"}"#);
    assert!(e.contains("cannot use"), "{e}");
    p.send(r#"{"type":"rescan"}"#);
    let f = p.until(LONG, |f| {
        f.header["uploads"] == json!(["mine.csv", "narrow.csv"])
    });
    assert_eq!(f.header["settings"]["dataset"], "mnist", "nothing changed");
    p.send(r#"{"type":"configure","dataset":"upload:mine.csv","layers":"32","latent":4,"batch":30,"epochs":1,"val_split":0.2}"#);
    p.until(LONG, |f| f.header["held_out"] == "validation");
    p.send(r#"{"type":"play"}"#);
    let done = p.until(LONG, |f| {
        f.header["epochs_done"] == 1 && f.header["run"]["training"] == false
    });
    assert_eq!(
        (
            done.header["train_samples"].as_u64(),
            done.header["val_samples"].as_u64()
        ),
        (Some(240), Some(60))
    );
    p.send(r#"{"type":"save","name":"from upload"}"#);
    let saved = p.until(LONG, |f| f.header["saved"]["name"] == "from upload");
    assert_eq!(saved.header["saved"]["set"], "validation");
    let ck = dir.read("from upload").unwrap();
    assert_eq!(ck.config.dataset.name, "mine.csv");
    assert_eq!(
        ck.config.dataset.scaling.scale, 255.0,
        "the pixels were scaled into 0–1"
    );
    assert!(ck.config.metrics.contains_key("val_mse"));
}

#[test]
fn a_conv_model_shows_one_map_per_channel_and_stop_keeps_it() {
    let mut p = probe(temp_models("conv"));
    p.send(r#"{"type":"configure","kind":"conv","convs":"4:3:2:1,8:3:2:1","latent":10,"train_size":60000,"batch":16,"epochs":5,"lr":0.01}"#);
    p.until(LONG, |f| f.header["settings"]["kind"] == "conv");
    let a = ask(
        &mut p,
        json!({"type": "query", "id": 1, "query": "activations", "pixels": vec![0.5; 784]}),
    );
    let shapes: Vec<Value> = a.header["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["shape"].clone())
        .collect();
    assert_eq!(shapes[0], json!([4, 14, 14]));
    assert_eq!(shapes[1], json!([8, 7, 7]));
    assert_eq!(shapes.last().unwrap(), &json!([1, 28, 28]));
    assert_eq!(array(&a, "a0").len(), 4 * 14 * 14);
    let fl = ask(
        &mut p,
        json!({"type": "query", "id": 2, "query": "filters"}),
    );
    assert_eq!(
        (fl.header["shown"].as_u64(), fl.header["height"].as_u64()),
        (Some(4), Some(3))
    );
    p.send(r#"{"type":"play"}"#);
    p.until(LONG, |f| f.header["step"].as_u64() >= Some(5));
    // the learning rate changes mid-run and training goes on
    p.send(r#"{"type":"configure","lr":0.002}"#);
    let changed = p.until(LONG, |f| f.header["lr"] == 0.002);
    assert_eq!(changed.header["run"]["training"], true);
    p.send(r#"{"type":"stop"}"#);
    let stopped = p.until(LONG, |f| {
        f.header["run"]["training"] == false && !f.header["history"].as_array().unwrap().is_empty()
    });
    let row = &stopped.header["history"][0];
    assert_eq!(row["partial"], true);
    assert_eq!(stopped.header["trained"], true, "the model so far is kept");
    let e = p.refused(r#"{"type":"query","id":3,"query":"activations","pixels":[2]}"#);
    assert!(e.contains("784"), "{e}");
    let e = p.refused(r#"{"type":"query","id":4,"query":"codes"}"#);
    assert!(e.contains("10 numbers"), "{e}");
    // a 2-D code: the validation images' map
    p.send(r#"{"type":"configure","kind":"dense","layers":"64","latent":2}"#);
    p.until(LONG, |f| f.header["settings"]["latent"] == 2);
    let c = ask(&mut p, json!({"type": "query", "id": 5, "query": "codes"}));
    assert_eq!(c.header["count"], 2_000);
    assert_eq!(array(&c, "codes").len(), 4_000);
    assert!(
        array(&c, "labels")
            .iter()
            .all(|&l| (0.0..=9.0).contains(&l))
    );
}

/// A VAE picked with the defaults learns (binary cross-entropy comes with it); one put back on
/// mean squared error is kept, and the page is told why it will likely fail.
#[test]
fn a_vae_brings_its_loss_and_mse_with_a_vae_is_explained() {
    let mut p = probe(temp_models("vae-loss"));
    let f = p.latest();
    assert_eq!(f.header["settings"]["loss"], "mse");
    assert!(f.header["advice"].is_null());
    p.send(r#"{"type":"configure","variant":"vae"}"#);
    let f = p.latest();
    assert_eq!(f.header["settings"]["loss"], "bce");
    assert!(f.header["advice"].is_null());
    p.send(r#"{"type":"configure","loss":"mse"}"#);
    let f = p.latest();
    assert_eq!(f.header["settings"]["loss"], "mse");
    assert!(
        f.header["advice"].as_str().unwrap().contains("grey blob"),
        "{}",
        f.header["advice"]
    );
    // leaving the VAE and coming back brings BCE again; other variants keep their loss
    p.send(r#"{"type":"configure","variant":"plain"}"#);
    assert_eq!(p.latest().header["settings"]["loss"], "mse");
    assert!(p.latest().header["advice"].is_null());
    p.send(r#"{"type":"configure","variant":"vae"}"#);
    assert_eq!(p.latest().header["settings"]["loss"], "bce");
}

/// A Stop part-way is the part of an epoch it was: not counted as a whole one, drawn where it
/// ended; "one more epoch" never lowers the epochs asked for.
#[test]
fn a_stop_part_way_is_part_of_an_epoch() {
    let mut p = probe(temp_models("stop"));
    p.send(r#"{"type":"configure","layers":"32","latent":4,"train_size":2000,"val_split":0.1,"batch":10,"epochs":5}"#);
    p.until(LONG, |f| f.header["settings"]["epochs"] == 5);
    p.send(r#"{"type":"play"}"#);
    p.until(LONG, |f| f.header["step"].as_u64() >= Some(36));
    p.send(r#"{"type":"stop"}"#);
    let f = p.until(LONG, |f| {
        f.header["run"]["training"] == false && !f.header["history"].as_array().unwrap().is_empty()
    });
    let (row, per_epoch) = (
        &f.header["history"][0],
        f.header["steps_per_epoch"].as_f64().unwrap(),
    );
    let seen = f.header["step"].as_f64().unwrap() / per_epoch;
    assert_eq!(row["partial"], true);
    assert_eq!(
        f.header["epochs_done"], 0,
        "a cut-short epoch is not a whole one"
    );
    assert!(seen < 1.0 && (f.header["epoch"].as_f64().unwrap() - seen).abs() < 1e-9);
    assert!((row["at"].as_f64().unwrap() - seen).abs() < 1e-9, "{row}");
    p.send(r#"{"type":"more"}"#);
    let f = p.latest();
    assert_eq!(
        f.header["settings"]["epochs"], 5,
        "one more epoch never asks for fewer"
    );
}
