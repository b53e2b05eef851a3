use super::*;
use crate::data::mnist;
use rand::Rng;

/// The first `n_train` embedded digits for training and the next `n_test` for testing.
fn subset(n_train: usize, n_test: usize) -> (Vec<f32>, Vec<u8>, Vec<f32>, Vec<u8>) {
    let pool = mnist::load_embedded().unwrap();
    let train: Vec<usize> = (0..n_train).collect();
    let test: Vec<usize> = (n_train..n_train + n_test).collect();
    let (a, b) = pool.select(&train, None);
    let (c, d) = pool.select(&test, None);
    (a, b, c, d)
}

fn noop() -> impl FnMut(&EpochMetrics) {
    |_| {}
}

/// Metrics without the volatile wall-clock field, as exact bit patterns.
fn metric_bits(out: &TrainOutcome) -> Vec<u64> {
    let mut v = Vec::new();
    for e in &out.epochs {
        v.extend([e.train_loss.to_bits(), e.train_accuracy.to_bits()]);
        if let Some(t) = e.test {
            v.extend([t.loss.to_bits(), t.accuracy.to_bits()]);
        }
    }
    v.extend([
        out.final_test.loss.to_bits(),
        out.final_test.accuracy.to_bits(),
    ]);
    v
}

fn digest(out: &TrainOutcome) -> String {
    let mut bytes = Vec::new();
    for b in metric_bits(out) {
        bytes.extend(b.to_le_bytes());
    }
    for p in out.model.parameters() {
        bytes.extend(p.to_bits().to_le_bytes());
    }
    crate::data::sha256_hex(&bytes)
}

fn tiny_config() -> MlpConfig {
    MlpConfig {
        name: "tiny".into(),
        input_size: 6,
        hidden: vec![5, 4],
        dropout: vec![0.5, 0.0],
        batch_size: 7,
        ..MlpConfig::default()
    }
}

#[test]
fn parameter_counts_match_the_homework() {
    assert_eq!(MlpConfig::shallow().n_parameters(), 101_770);
    assert_eq!(MlpConfig::medium().n_parameters(), 235_146);
    assert_eq!(MlpConfig::deep().n_parameters(), 567_434);
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let m = Mlp::init(&MlpConfig::deep(), &mut rng);
    assert_eq!(m.n_parameters(), 567_434);
    assert_eq!(m.layer_sizes(), &[784, 512, 256, 128, 10]);
    // PyTorch nn.Linear init bound 1/sqrt(fan_in).
    let (w0, _) = m.layer(0);
    let bound = 1.0 / 784f32.sqrt();
    assert!(w0.iter().all(|w| w.abs() <= bound));
    assert!(w0.iter().any(|w| w.abs() > 0.9 * bound));
}

#[test]
fn specs_have_the_homework_hyperparameters() {
    let d = MlpConfig::deep();
    assert_eq!((d.learning_rate, d.batch_size, d.epochs), (0.0005, 32, 150));
    assert_eq!(d.dropout, vec![0.2, 0.2, 0.1]);
    let m = MlpConfig::medium();
    assert_eq!((m.learning_rate, m.batch_size, m.epochs), (0.001, 32, 100));
    let s = MlpConfig::default();
    assert_eq!((s.learning_rate, s.batch_size, s.epochs), (0.001, 64, 50));
    assert_eq!(s.with_epochs(3).epochs, 3);
    assert_eq!("v3".parse::<MlpSpec>().unwrap(), MlpSpec::Deep);
    assert!("huge".parse::<MlpSpec>().is_err());
}

#[test]
fn bad_configs_and_devices_are_rejected() {
    let mut c = MlpConfig::deep();
    c.dropout = vec![0.2];
    assert!(matches!(c.validate(), Err(NnError::Config(_))));
    c.dropout = vec![0.2, 1.0, 0.1];
    assert!(c.validate().is_err());
    let c = MlpConfig {
        batch_size: 0,
        ..MlpConfig::default()
    };
    assert!(c.validate().is_err());
    assert_eq!("cpu".parse::<DeviceKind>().unwrap(), DeviceKind::Cpu);
    assert_eq!("cuda:1".parse::<DeviceKind>().unwrap(), DeviceKind::Cuda(1));
    assert!("tpu".parse::<DeviceKind>().is_err());
    if !cfg!(feature = "cuda") {
        let e = DeviceKind::Cuda(0).candle_device().unwrap_err();
        assert!(e.to_string().contains("cuda"), "{e}");
    }
    let (x, y) = (vec![0.0; 783], vec![1u8]);
    let e = train(
        &MlpConfig::default(),
        Samples::new(&x, &y),
        Samples::new(&x, &y),
        DeviceKind::Cpu,
        &mut noop(),
    )
    .unwrap_err();
    assert!(matches!(e, NnError::Data { .. }), "{e}");
}

/// Random tiny batch with a dropout mask on the first hidden layer.
/// `background: Some(c)` sets about 70 % of the inputs (and the first) to `c`, like MNIST's
/// background pixels, which selects the engine's sparse first-layer kernels; `None` runs the
/// dense `gemm` path.
fn tiny_batch(
    config: &MlpConfig,
    seed: u64,
    background: Option<f32>,
) -> (Mlp, Vec<f32>, Vec<u8>, Vec<Vec<f32>>) {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let model = Mlp::init(config, &mut rng);
    let b = config.batch_size;
    let x: Vec<f32> = (0..b * config.input_size)
        .map(|k| {
            let v = rng.random::<f32>() * 2.0 - 1.0;
            match background {
                Some(c) if k == 0 || rng.random::<f32>() < 0.7 => c,
                _ => v,
            }
        })
        .collect();
    let y: Vec<u8> = (0..b).map(|_| rng.random_range(0..10)).collect();
    let mut m0 = vec![0.0; b * config.hidden[0]];
    kernels::dropout_mask(&mut rng, config.dropout[0], &mut m0);
    (model, x, y, vec![m0, vec![]])
}

#[test]
fn backward_matches_finite_differences() {
    for background in [None, Some(0.0), Some(-0.42)] {
        finite_difference_check(background);
    }
}

fn finite_difference_check(background: Option<f32>) {
    let config = tiny_config();
    let (model, x, y, masks) = tiny_batch(&config, 7, background);
    let mut s = fused::FusedStepper::new(model.clone(), &config);
    s.gradients(&x, &y, &masks);
    let analytic = s.grads();
    let b = y.len() as f64;
    let loss_at = |p: &[f32]| {
        let mut m = model.clone();
        m.params.copy_from_slice(p);
        let mut st = fused::FusedStepper::new(m, &config);
        st.gradients(&x, &y, &masks).loss_sum / b
    };
    let mut p = model.parameters().to_vec();
    let h = 1e-3f32;
    let mut worst = 0f64;
    for i in 0..p.len() {
        let orig = p[i];
        p[i] = orig + h;
        let up = loss_at(&p);
        p[i] = orig - h;
        let down = loss_at(&p);
        p[i] = orig;
        let numeric = (up - down) / (2.0 * f64::from(h));
        let err = (numeric - f64::from(analytic[i])).abs() / (1e-2 + numeric.abs());
        worst = worst.max(err);
    }
    assert!(
        worst < 0.05,
        "worst relative gradient error {worst} ({background:?})"
    );
    assert!(analytic.iter().any(|g| g.abs() > 1e-3));
}

#[test]
fn backward_matches_candle_autograd() {
    let config = tiny_config();
    for (seed, background) in [None, Some(0.0), Some(-0.42), None].into_iter().enumerate() {
        let (model, x, y, masks) = tiny_batch(&config, seed as u64, background);
        let mut s = fused::FusedStepper::new(model.clone(), &config);
        s.gradients(&x, &y, &masks);
        let c =
            candle_engine::CandleStepper::new(model, &config, &candle_core::Device::Cpu).unwrap();
        let reference = c.gradients(&x, &y, &masks).unwrap();
        let grads = s.grads();
        assert_eq!(reference.len(), grads.len());
        for (a, r) in grads.iter().zip(&reference) {
            assert!((a - r).abs() <= 1e-5 + 1e-4 * r.abs(), "{a} vs {r}");
        }
    }
}

#[test]
fn short_training_learns_and_reports_every_fifth_epoch() {
    let (tx, ty, vx, vy) = subset(2000, 1000);
    let config = MlpConfig::shallow().with_epochs(6);
    let mut seen = Vec::new();
    let out = train(
        &config,
        Samples::new(&tx, &ty),
        Samples::new(&vx, &vy),
        DeviceKind::Cpu,
        &mut |m: &EpochMetrics| seen.push(m.epoch),
    )
    .unwrap();
    assert_eq!(seen, vec![0, 1, 2, 3, 4, 5]);
    let tested: Vec<usize> = out
        .epochs
        .iter()
        .filter(|e| e.test.is_some())
        .map(|e| e.epoch)
        .collect();
    assert_eq!(tested, vec![0, 5]);
    assert!(out.epochs[5].train_loss < out.epochs[0].train_loss);
    assert!(
        out.final_test_accuracy() > 0.85,
        "accuracy {}",
        out.final_test_accuracy()
    );
    assert_eq!(out.n_parameters, 101_770);
    // 101 770 f32 = 0.388 MiB plus a small header.
    assert!(
        (0.388..0.40).contains(&out.model_size_mb),
        "{}",
        out.model_size_mb
    );
    assert_eq!(out.engine, Engine::Fused);
}

fn small_run(engine: Engine, seed: u64) -> TrainOutcome {
    let (tx, ty, vx, vy) = subset(300, 100);
    let mut config = MlpConfig::deep().with_epochs(2).with_seed(seed);
    config.engine = engine;
    config.eval_every = 1;
    train(
        &config,
        Samples::new(&tx, &ty),
        Samples::new(&vx, &vy),
        DeviceKind::Cpu,
        &mut noop(),
    )
    .unwrap()
}

#[test]
fn same_seed_gives_bit_identical_runs() {
    for engine in [Engine::Fused, Engine::Candle] {
        let a = small_run(engine, 3);
        let b = small_run(engine, 3);
        assert_eq!(metric_bits(&a), metric_bits(&b), "{engine:?}");
        assert_eq!(a.model.parameters(), b.model.parameters(), "{engine:?}");
        let c = small_run(engine, 4);
        assert_ne!(a.model.parameters(), c.model.parameters(), "{engine:?}");
    }
}

#[test]
fn engines_agree() {
    let f = small_run(Engine::Fused, 5);
    let c = small_run(Engine::Candle, 5);
    for (a, b) in f.epochs.iter().zip(&c.epochs) {
        assert!((a.train_loss - b.train_loss).abs() < 1e-3, "{a:?} {b:?}");
        assert!(
            (a.train_accuracy - b.train_accuracy).abs() < 0.02,
            "{a:?} {b:?}"
        );
    }
    assert!((f.final_test.loss - c.final_test.loss).abs() < 1e-2);
}

/// Prints a digest of a small run per engine; run in a child process by
/// `thread_count_does_not_change_results` with different `RAYON_NUM_THREADS`.
#[test]
#[ignore = "helper run by thread_count_does_not_change_results"]
fn determinism_probe() {
    for engine in [Engine::Fused, Engine::Candle] {
        println!("PROBE {engine:?} {}", digest(&small_run(engine, 9)));
    }
}

#[test]
fn thread_count_does_not_change_results() {
    let exe = std::env::current_exe().unwrap();
    let probe = |threads: &str| {
        let out = std::process::Command::new(&exe)
            .args([
                "nn::tests::determinism_probe",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        let lines: Vec<String> = text
            .lines()
            .filter_map(|l| l.find("PROBE ").map(|i| l[i..].to_string()))
            .collect();
        assert_eq!(lines.len(), 2, "probe output: {text}");
        lines
    };
    assert_eq!(probe("1"), probe("2"));
}

#[test]
fn save_load_round_trip_gives_identical_predictions() {
    let (tx, ty, vx, vy) = subset(500, 200);
    let out = train(
        &MlpConfig::deep().with_epochs(1),
        Samples::new(&tx, &ty),
        Samples::new(&vx, &vy),
        DeviceKind::Cpu,
        &mut noop(),
    )
    .unwrap();
    let mut model = out.model;
    model.normalize = Some(mnist::STARTER_NORMALIZE);
    let dir = tempfile::tempdir().unwrap();
    let saved = model.save(dir.path()).unwrap();
    let mib = saved.weights_bytes as f64 / (1024.0 * 1024.0);
    assert!((mib - out.model_size_mb).abs() < 1e-12);
    let loaded = Mlp::load(dir.path()).unwrap();
    assert_eq!(loaded, model);
    let p1 = model.predict_proba(&vx).unwrap();
    let p2 = loaded.predict_proba(&vx).unwrap();
    assert_eq!(p1, p2);
    assert!(
        p1.iter()
            .all(|r| (r.iter().sum::<f32>() - 1.0).abs() < 1e-5)
    );
    let acc = loaded.evaluate(Samples::new(&vx, &vy)).unwrap();
    assert_eq!(acc, out.final_test);
    assert_eq!(loaded.predict(&vx).unwrap().len(), 200);

    // A foreign config is refused with the path in the message.
    std::fs::write(
        dir.path().join("config.json"),
        r#"{"format":"other","format_version":9}"#,
    )
    .unwrap();
    let e = Mlp::load(dir.path()).unwrap_err();
    assert!(e.to_string().contains("config.json"), "{e}");
}

/// Rough per-part timing of one deep@32 step (run with --release --ignored --nocapture).
#[test]
#[ignore = "manual profiling aid"]
fn profile_deep_step() {
    use std::time::Instant;
    let config = MlpConfig::deep();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(1);
    let model = Mlp::init(&config, &mut rng);
    let (tx, ty, _, _) = subset(32, 0);
    let masks: Vec<Vec<f32>> = [512, 256, 128]
        .iter()
        .zip(&config.dropout)
        .map(|(&w, &p)| {
            let mut m = vec![0.0; 32 * w];
            kernels::dropout_mask(&mut rng, p, &mut m);
            m
        })
        .collect();
    let mut s = fused::FusedStepper::new(model, &config);
    let reps = 300;
    let t = Instant::now();
    for _ in 0..reps {
        s.gradients(&tx, &ty, &masks);
    }
    let grad = t.elapsed().as_secs_f64() / reps as f64;
    let n = config.n_parameters();
    let (mut p, g, mut m, mut v) = (vec![0.1; n], vec![0.01; n], vec![0.0; n], vec![0.0; n]);
    let mut adam = kernels::Adam {
        lr: 1e-3,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        t: 0,
    };
    let t = Instant::now();
    for _ in 0..reps {
        adam.step(&mut p, &g, &mut m, &mut v);
    }
    let adam_t = t.elapsed().as_secs_f64() / reps as f64;
    let mut mask = vec![0.0; 32 * 896];
    let t = Instant::now();
    for _ in 0..reps {
        kernels::dropout_mask(&mut rng, 0.2, &mut mask);
    }
    let mask_t = t.elapsed().as_secs_f64() / reps as f64;
    let (a, w) = (vec![0.5f32; 32 * 784], vec![0.01f32; 512 * 784]);
    let mut o = vec![0.0; 32 * 512];
    let t = Instant::now();
    for _ in 0..reps {
        kernels::matmul_a_wt(&a, &w, &mut o, 32, 784, 512);
    }
    let fwd0 = t.elapsed().as_secs_f64() / reps as f64;
    let mut gw = vec![0.0; 512 * 784];
    let t = Instant::now();
    for _ in 0..reps {
        kernels::matmul_dzt_a(&o, &a, &mut gw, 512, 32, 784);
    }
    let dw0 = t.elapsed().as_secs_f64() / reps as f64;
    println!(
        "grad {:.3} ms, adam {:.3} ms, masks {:.3} ms, fwd0 {:.3} ms, dw0 {:.3} ms",
        grad * 1e3,
        adam_t * 1e3,
        mask_t * 1e3,
        fwd0 * 1e3,
        dw0 * 1e3
    );
}

/// Early stopping: an observer that says stop ends training after that epoch, and the model it
/// leaves is bit for bit the one a run of exactly that many epochs trains (what `harness run
/// --config` relies on to return the best epoch's model).
#[test]
fn an_observer_can_stop_training_and_the_prefix_is_reproducible() {
    struct StopAfter(usize, usize);
    impl TrainObserver for StopAfter {
        fn on_epoch(&mut self, _: &EpochMetrics) {
            self.1 += 1;
        }
        fn stop(&self) -> bool {
            self.1 >= self.0
        }
    }
    let (tx, ty, vx, vy) = subset(300, 100);
    let config = MlpConfig {
        hidden: vec![16],
        dropout: vec![0.3],
        eval_every: 1,
        ..MlpConfig::default()
    }
    .with_epochs(5);
    let stopped = train(
        &config,
        Samples::new(&tx, &ty),
        Samples::new(&vx, &vy),
        DeviceKind::Cpu,
        &mut StopAfter(2, 0),
    )
    .unwrap();
    assert_eq!(stopped.epochs.len(), 2);
    let exact = train(
        &config.clone().with_epochs(2),
        Samples::new(&tx, &ty),
        Samples::new(&vx, &vy),
        DeviceKind::Cpu,
        &mut noop(),
    )
    .unwrap();
    assert_eq!(digest(&stopped), digest(&exact));
}

/// Both engines implement SGD (with and without momentum), AdamW and the schedules the same
/// way: a short run agrees epoch by epoch, and each choice trains differently from plain Adam.
#[test]
fn engines_agree_for_every_optimizer_and_schedule() {
    let (tx, ty, vx, vy) = subset(300, 100);
    let run = |engine: Engine, optimizer: OptimizerKind, schedule: LrSchedule| {
        let mut config = MlpConfig::shallow().with_epochs(3).with_seed(11);
        config.batch_size = 32;
        config.learning_rate = 0.01;
        config.engine = engine;
        config.eval_every = 1;
        config.optimizer = optimizer;
        config.schedule = schedule;
        train(
            &config,
            Samples::new(&tx, &ty),
            Samples::new(&vx, &vy),
            DeviceKind::Cpu,
            &mut noop(),
        )
        .unwrap()
    };
    let adam = run(Engine::Fused, OptimizerKind::Adam, LrSchedule::Constant);
    for (optimizer, schedule) in [
        (OptimizerKind::Sgd { momentum: 0.0 }, LrSchedule::Constant),
        (
            OptimizerKind::Sgd { momentum: 0.9 },
            LrSchedule::Step {
                step_size: 1,
                gamma: 0.5,
            },
        ),
        (
            OptimizerKind::AdamW { weight_decay: 0.01 },
            LrSchedule::Constant,
        ),
        (OptimizerKind::Adam, LrSchedule::Cosine { t_max: 3 }),
    ] {
        let f = run(Engine::Fused, optimizer, schedule);
        let c = run(Engine::Candle, optimizer, schedule);
        for (a, b) in f.epochs.iter().zip(&c.epochs) {
            assert!(
                (a.train_loss - b.train_loss).abs() < 1e-3,
                "{optimizer:?} {schedule:?}: {a:?} {b:?}"
            );
        }
        assert!(
            f.epochs[2].train_loss < f.epochs[0].train_loss,
            "{optimizer:?} {schedule:?} learns: {:?}",
            f.epochs
        );
        assert_ne!(
            f.model.parameters(),
            adam.model.parameters(),
            "{optimizer:?} {schedule:?}"
        );
    }
}

#[test]
fn bad_optimizer_settings_are_rejected() {
    let mut config = tiny_config();
    config.optimizer = OptimizerKind::Sgd { momentum: -0.1 };
    assert!(matches!(config.validate(), Err(NnError::Config(m)) if m.contains("momentum")));
    let mut config = tiny_config();
    config.schedule = LrSchedule::Step {
        step_size: 0,
        gamma: 0.1,
    };
    assert!(matches!(config.validate(), Err(NnError::Config(m)) if m.contains("step_size")));
}
