//! The trainer's tests: models learn, seeds repeat, a stop flag stops, stepping by hand is
//! the same run, bad settings are errors, and an epoch's figures are the evaluations'.

use super::*;
use crate::architecture::Code;
use crate::tensor::{epoch_figures, evaluate};
use crate::{
    architecture::{Architecture, parse_convs},
    glass::Activation,
    tensor::{initial_tensors, training_device},
};

fn blobs() -> Dataset {
    // 64 8×8 images: a bright square at one of four places
    let mut values = Vec::new();
    let mut labels = Vec::new();
    for i in 0..64u32 {
        let k = i % 4;
        labels.push(k);
        for y in 0..8 {
            for x in 0..8 {
                let on = (y / 4 == (k / 2) as usize) && (x / 4 == (k % 2) as usize);
                values.push(if on { 0.9 } else { 0.1 });
            }
        }
    }
    Dataset::new("blobs", 64, values, Some(labels))
        .unwrap()
        .with_image_shape(8, 8)
        .unwrap()
}

fn run(arch: Architecture, loss: LossKind, optimizer: Optimizer) -> Vec<EpochReport> {
    let data = blobs();
    let model = Autoencoder::from_tensors(
        &arch,
        &initial_tensors(&arch, 1).unwrap(),
        &training_device(),
    )
    .unwrap();
    let opts = TrainOptions {
        loss,
        optimizer,
        batch_size: 16,
        epochs: 30,
        seed: 1,
        variant: Variant::Plain,
    };
    let (_, reports) = train(
        model,
        &data,
        Some(&data.take(8)),
        &opts,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    reports
}

#[test]
fn dense_and_conv_models_learn() {
    let dense = Architecture::Dense {
        layers: vec![64, 16, 2],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let conv = Architecture::Conv {
        input: [1, 8, 8],
        convs: parse_convs("4:3:2:1").unwrap(),
        latent: 2,
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        code: Code::Linear,
    };
    for (arch, loss, opt) in [
        (dense.clone(), LossKind::Mse, Optimizer::adam(0.01)),
        (
            dense,
            LossKind::Bce,
            Optimizer::Sgd {
                lr: 0.5,
                momentum: 0.9,
            },
        ),
        (conv, LossKind::Mse, Optimizer::adam(0.01)),
    ] {
        let r = run(arch.clone(), loss, opt);
        assert_eq!(r.len(), 30);
        let (first, last) = (r[0].train_loss, r[29].train_loss);
        assert!(
            last < 0.5 * first,
            "{}: loss {first} -> {last}",
            arch.describe()
        );
        assert!(r[29].val_loss.is_some());
    }
}

#[test]
fn same_seed_same_weights() {
    let arch = Architecture::Dense {
        layers: vec![64, 8, 2],
        activation: Activation::Tanh,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let go = || {
        let model = Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, 4).unwrap(),
            &training_device(),
        )
        .unwrap();
        let opts = TrainOptions {
            loss: LossKind::Mse,
            optimizer: Optimizer::adam(0.01),
            batch_size: 8,
            epochs: 2,
            seed: 4,
            variant: Variant::Plain,
        };
        train(
            model,
            &blobs(),
            None,
            &opts,
            &AtomicBool::new(false),
            &mut |_| {},
        )
        .unwrap()
        .0
        .to_tensors()
    };
    assert_eq!(go(), go());
}

#[test]
fn stop_flag_ends_after_the_current_step() {
    let arch = Architecture::Dense {
        layers: vec![64, 2],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let model = Autoencoder::from_tensors(
        &arch,
        &initial_tensors(&arch, 1).unwrap(),
        &training_device(),
    )
    .unwrap();
    let opts = TrainOptions {
        loss: LossKind::Mse,
        optimizer: Optimizer::adam(0.01),
        batch_size: 8,
        epochs: 100,
        seed: 1,
        variant: Variant::Plain,
    };
    let stop = AtomicBool::new(false);
    let mut steps = 0;
    let (_, reports) = train(model, &blobs(), None, &opts, &stop, &mut |p| {
        if let Progress::Step { .. } = p {
            steps += 1;
            if steps == 3 {
                stop.store(true, Ordering::Relaxed);
            }
        }
    })
    .unwrap();
    assert_eq!(steps, 3);
    assert_eq!(reports.len(), 1);
    assert!(reports[0].partial);
}

#[test]
fn stepping_by_hand_is_the_same_run_and_the_rate_changes_between_steps() {
    let arch = Architecture::Dense {
        layers: vec![64, 8, 2],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let model = || {
        Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, 2).unwrap(),
            &training_device(),
        )
        .unwrap()
    };
    let opts = TrainOptions {
        loss: LossKind::Mse,
        optimizer: Optimizer::adam(0.01),
        batch_size: 10,
        epochs: 3,
        seed: 2,
        variant: Variant::Plain,
    };
    let data = blobs();
    let (whole, reports) = train(
        model(),
        &data,
        None,
        &opts,
        &AtomicBool::new(false),
        &mut |_| {},
    )
    .unwrap();
    // the same three epochs, one step at a time, with pauses between them
    let mut t = Trainer::new(
        model(),
        data.len(),
        &opts,
        Box::new(crate::tensor::Reconstruction(opts.loss)),
    )
    .unwrap();
    assert_eq!(t.steps_per_epoch(), 7);
    let mut by_hand = Vec::new();
    for _ in 0..3 {
        loop {
            let s = t.step(&data).unwrap();
            assert!(t.in_epoch(), "an epoch runs until it is ended");
            if s.epoch_done {
                break;
            }
        }
        by_hand.push(t.end_epoch(None).unwrap());
    }
    assert_eq!(t.epochs_done(), 3);
    let stepped = t.into_model();
    assert_eq!(stepped.to_tensors(), whole.to_tensors());
    for (a, b) in by_hand.iter().zip(&reports) {
        assert_eq!((a.epoch, a.train_loss), (b.epoch, b.train_loss));
    }
    // a new learning rate applies from the next step: a huge one changes the weights more
    let mut slow = Trainer::new(
        model(),
        data.len(),
        &opts,
        Box::new(crate::tensor::Reconstruction(opts.loss)),
    )
    .unwrap();
    let mut fast = Trainer::new(
        model(),
        data.len(),
        &opts,
        Box::new(crate::tensor::Reconstruction(opts.loss)),
    )
    .unwrap();
    fast.set_learning_rate(0.5).unwrap();
    assert!(fast.set_learning_rate(-1.0).is_err());
    assert_eq!(fast.learning_rate(), 0.5);
    slow.step(&data).unwrap();
    fast.step(&data).unwrap();
    let start = model().to_tensors();
    let moved = |m: &Autoencoder| -> f32 {
        m.to_tensors()
            .iter()
            .zip(&start)
            .flat_map(|(a, b)| a.values.iter().zip(&b.values).map(|(x, y)| (x - y).abs()))
            .sum()
    };
    assert!(moved(fast.model()) > 5.0 * moved(slow.model()));
    // ending an epoch part-way marks it partial; the wrong data set is refused
    let r = slow.end_epoch(Some(&data)).unwrap();
    assert!(r.partial && r.val_loss.is_some());
    assert!(slow.end_epoch(None).is_none());
    assert!(slow.step(&data.take(8)).is_err());
}

#[test]
fn bad_settings_are_errors() {
    let arch = Architecture::Dense {
        layers: vec![64, 2],
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    let model = || {
        Autoencoder::from_tensors(
            &arch,
            &initial_tensors(&arch, 1).unwrap(),
            &training_device(),
        )
        .unwrap()
    };
    for optimizer in [
        Optimizer::adam(-1.0),
        Optimizer::adam(f64::NAN),
        Optimizer::Sgd {
            lr: 0.1,
            momentum: 1.5,
        },
    ] {
        let opts = TrainOptions {
            loss: LossKind::Mse,
            optimizer,
            batch_size: 8,
            epochs: 1,
            seed: 1,
            variant: Variant::Plain,
        };
        assert!(
            train(
                model(),
                &blobs(),
                None,
                &opts,
                &AtomicBool::new(false),
                &mut |_| {}
            )
            .is_err()
        );
    }
}

/// A dense ReLU model with a sigmoid output from `seed`, for inference.
fn dense_model(layers: Vec<usize>, seed: u64) -> Autoencoder {
    let arch = Architecture::Dense {
        layers,
        activation: Activation::Relu,
        output: Activation::Sigmoid,
        activations: vec![],
        code: Code::Linear,
    };
    Autoencoder::from_tensors(
        &arch,
        &initial_tensors(&arch, seed).unwrap(),
        &crate::tensor::inference_device(),
    )
    .unwrap()
}

#[test]
fn evaluation_of_a_perfect_and_a_poor_model() {
    let m = dense_model(vec![64, 2], 1);
    let e = evaluate(&m, &blobs(), 16).unwrap();
    assert_eq!(e.samples, 64);
    assert!(e.mse > 0.01 && e.psnr < 20.0);
    assert!(e.ssim.is_none(), "8×8 is too small for SSIM");
}

#[test]
fn an_epochs_figures_are_the_evaluations() {
    // 40 seeded 12×12 images (large enough for SSIM) through a small dense model
    let mut rng = crate::rng::Rng::new(3);
    let values: Vec<f32> = (0..40 * 144)
        .map(|_| rng.uniform(0.0, 1.0) as f32)
        .collect();
    let data = Dataset::new("noise", 144, values, None)
        .unwrap()
        .with_image_shape(12, 12)
        .unwrap();
    let m = dense_model(vec![144, 16, 4], 2);
    let e = evaluate(&m, &data, 1024).unwrap();
    assert!(e.ssim.is_some());
    for (loss, want) in [(LossKind::Mse, e.mse), (LossKind::Bce, e.bce)] {
        let f = epoch_figures(&m, &data, loss).unwrap();
        assert_eq!((f.loss, f.psnr, f.ssim), (want, e.psnr, e.ssim));
    }
}
