//! Chapter "Default and Xavier initialization": the example's measurements
//! against theory and against the numbers in the prose.

mod common;

use common::{assert_mentions, chapter, example_json, result, temp_dir, tex_sci};
use stable_learning::deep::propagation::{LayerStats, quarter_circle_mean};
use stable_learning::deep::xavier::{
    GlorotAtInit, TanhSigmoidTraining, TorchDefault, XavierParams, train_tanh_sigmoid,
};
use stable_learning::nn::activation::Activation;

fn field(layers: &[LayerStats], f: fn(&LayerStats) -> f64) -> Vec<f64> {
    layers.iter().map(f).collect()
}

fn ratios(v: &[f64]) -> Vec<f64> {
    v.windows(2).map(|w| w[1] / w[0]).collect()
}

#[test]
fn xavier_example_matches_theory_and_prose() {
    let out = temp_dir("xavier-chapter");
    let doc = example_json("xavier", &[], &out);
    let torch: TorchDefault = result(&doc, "torch_default");
    let at_init: GlorotAtInit = result(&doc, "glorot_at_init");
    let training: TanhSigmoidTraining = result(&doc, "train_tanh_sigmoid");
    let text = chapter("xavier.md");

    // The library's defaults are the command line's: the book's values.
    let params: XavierParams = serde_json::from_value(doc["parameters"].clone()).unwrap();
    assert_eq!(params, XavierParams::default());

    // PyTorch's default: n·Var(W) = 1/3 from 10⁶ samples of a uniform. The
    // sample variance's relative standard error is √(0.8/10⁶) ≈ 0.09%; allow
    // 0.6% (over 6 standard errors).
    assert_eq!(torch.n, 1000);
    let n_var = torch.n_var;
    assert!((n_var - 1.0 / 3.0).abs() < 0.002, "{n_var}");
    assert!(torch.largest <= 1.0 / 1000f64.sqrt());
    assert_eq!(torch.bound, 1.0 / 1000f64.sqrt());
    assert_mentions(&text, &format!("{n_var:.4}"), "n·Var(W)");
    assert_mentions(
        &text,
        &format!("{:.5}", torch.largest),
        "the largest weight",
    );

    let (sv_std, sv_xavier, theory_std) = check_at_init(&at_init);
    for v in [sv_std, sv_xavier, theory_std, quarter_circle_mean()] {
        assert_mentions(
            &text,
            &format!("{v:.3}"),
            "a Jacobian singular-value average",
        );
    }

    // Exercise 4's worked numbers for the first layer (64 → 1000).
    let xavier = stable_learning::nn::init::Init::XavierUniform { gain: 1.0 };
    assert_mentions(
        &text,
        &format!("standard deviation {:.5}", xavier.std(64, 1000)),
        "the first layer's std",
    );
    assert_mentions(
        &text,
        &format!("uniform bound {:.5}", xavier.bound(64, 1000).unwrap()),
        "the first layer's bound",
    );
    assert_mentions(
        &text,
        &tex_sci(2.0 / 1064.0, 3),
        "the first layer's variance",
    );

    // Training: normalized tanh beats standard tanh; sigmoids stay near
    // chance (90% error) in this budget.
    let [tanh_std, tanh_x, sig_std, sig_x] = &training.runs[..] else {
        panic!("four runs expected, got {}", training.runs.len());
    };
    assert!(tanh_std.standard && tanh_std.activation == Activation::Tanh);
    assert!(!tanh_x.standard && tanh_x.activation == Activation::Tanh);
    assert!(sig_std.standard && sig_std.activation == Activation::Sigmoid);
    assert!(!sig_x.standard && sig_x.activation == Activation::Sigmoid);
    // 1348 training and 449 test images, as the chapter says.
    assert_eq!((training.train_size, training.test_size), (1348, 449));
    assert_mentions(
        &text,
        &format!(
            "({} training, {} test",
            training.train_size, training.test_size
        ),
        "the split of the digits",
    );
    // Over the five seeds: Xavier's tanh ends below the standard one on
    // every seed (paired: same split and minibatch stream), and even its
    // worst seed beats the standard init's median; the sigmoids stay near
    // chance (90% error) on every seed.
    assert_eq!(tanh_x.test_error.values.len(), 5);
    let paired = tanh_x
        .test_error
        .values
        .iter()
        .zip(&tanh_std.test_error.values);
    for (x, std) in paired {
        assert!(x < std, "Xavier {x} vs standard {std}");
    }
    assert!(tanh_x.test_error.max < tanh_std.test_error.median);
    for e in [&sig_std.test_error, &sig_x.test_error] {
        assert!(e.min > 0.85 && e.max < 0.95, "{e:?}");
    }
    let pct = |v: f64| format!("{:.2}%", 100.0 * v);
    for e in [&tanh_std.test_error, &tanh_x.test_error] {
        let stated = format!("{} ({:.2}–{}", pct(e.median), 100.0 * e.min, pct(e.max));
        assert_mentions(&text, &stated, "a tanh test error and its range");
    }
    let sig_min = sig_std.test_error.min.min(sig_x.test_error.min);
    let sig_max = sig_std.test_error.max.max(sig_x.test_error.max);
    let stated = format!("between {} and {} error", pct(sig_min), pct(sig_max));
    assert_mentions(&text, &stated, "the sigmoids' range");
    // Figure 3.4's alt text: the medians after the last epoch and at
    // epoch 1 and 6.
    let last_loss = |r: &stable_learning::deep::xavier::TrainedNet| {
        let finals: Vec<f64> = r
            .histories
            .iter()
            .map(|h| h.last().unwrap().train_loss)
            .collect();
        stable_learning::numeric::stats::median(&finals)
    };
    let at = |r: &stable_learning::deep::xavier::TrainedNet,
              e: usize,
              f: fn(&stable_learning::nn::train::EpochStats) -> f64| {
        let v: Vec<f64> = r.histories.iter().map(|h| f(&h[e])).collect();
        stable_learning::numeric::stats::median(&v)
    };
    assert!(
        (last_loss(tanh_x) - 0.06).abs() < 0.01,
        "{}",
        last_loss(tanh_x)
    );
    assert!(
        (last_loss(tanh_std) - 0.2).abs() < 0.05,
        "{}",
        last_loss(tanh_std)
    );
    assert!(at(tanh_std, 1, |s| s.train_loss) > 2.0 && at(tanh_std, 2, |s| s.train_loss) > 2.0);
    assert!(at(tanh_x, 1, |s| s.test_error) < 0.1);
    assert!((at(tanh_std, 6, |s| s.test_error) - 0.1).abs() < 0.02);
    for r in [sig_std, sig_x] {
        assert!((last_loss(r) - 2.3).abs() < 0.05);
    }
    assert_mentions(&text, "the median over five seeds", "Figure 3.4's alt text");
}

/// The chapter's warning that the ordering is not a law: with `--seed 5`
/// one of the five standard tanh networks ends ahead of its Xavier twin.
#[test]
fn the_ordering_fails_on_one_seed_of_seed_5() {
    let t = train_tanh_sigmoid(&XavierParams::default(), 5, &mut stable_learning::quiet).unwrap();
    let (std, x) = (&t.runs[0].test_error.values, &t.runs[1].test_error.values);
    let standard_wins = x.iter().zip(std).filter(|(x, s)| x > s).count();
    assert_eq!(standard_wins, 1, "{std:?} {x:?}");
    assert_mentions(
        &chapter("xavier.md"),
        "`--seed 5` and on one of its five",
        "the seed-5 remark",
    );
}

/// Each experiment draws from its own random stream: changing the training
/// runs' `--epochs` leaves the measurements at initialization byte for byte
/// as they were, and changing the batch measured at initialization leaves
/// the training.
#[test]
fn one_experiments_flags_leave_the_others_untouched() {
    let out = temp_dir("xavier-streams");
    let run = |name: &str, args: &[&str]| {
        let mut all = vec!["--seeds", "1", "--width", "100"];
        all.extend_from_slice(args);
        common::files_of("xavier", &out.join(name), &all)
    };
    let base = run("base", &["--epochs", "1"]);
    let epochs = run("epochs", &["--epochs", "2"]);
    let batch = run("batch", &["--epochs", "1", "--batch", "50"]);
    for file in ["layers.md", "activations.svg", "weight_gradients.svg"] {
        assert!(base(file) == epochs(file), "--epochs 2 changed {file}");
    }
    assert!(base("training.md") != epochs("training.md"));
    for file in ["training.md", "training.svg"] {
        assert!(base(file) == batch(file), "--batch 50 changed {file}");
    }
    assert!(base("layers.md") != batch("layers.md"));
}

/// The claims about the network at initialization (Table 3.1, Figures
/// 3.1–3.3, the Jacobians), which are one draw: the tests make them at the
/// book's seed and at seeds 1, 2 and 3. Returns the Jacobians' average
/// singular values (standard, Xavier) and the theory for the standard one.
fn check_at_init(at_init: &GlorotAtInit) -> (f64, f64, f64) {
    // Forward: standard keeps ≈ 1/3 of the variance per layer in the linear
    // regime. tanh's curvature lowers Var(h) below Var(z) by about 2·Var(z)
    // (tanh z ≈ z − z³/3), at most 15% here. The batch of 100 digits is
    // correlated (few effective dimensions), which makes each ratio's
    // estimate noisy: 0.31–0.34 at seeds 1–4, and 0.36 for seed 42's first.
    assert_eq!(at_init.standard.init.to_string(), "standard");
    assert_eq!(at_init.chosen.init.to_string(), "xavier-uniform");
    let standard = &at_init.standard.layers;
    let chosen = &at_init.chosen.layers;
    assert_eq!((standard.len(), chosen.len()), (5, 5));
    for q in ratios(&field(standard, |l| l.activation_var)) {
        assert!((0.28..0.37).contains(&q), "standard forward ratio {q}");
    }
    // Xavier: ≈ 1, lowered by the same curvature (Var(h) ≈ 0.025 here).
    for q in ratios(&field(chosen, |l| l.activation_var)) {
        assert!((0.85..1.05).contains(&q), "Xavier forward ratio {q}");
    }
    // Backward: the back-propagated gradient grows by ≈ 3 per layer toward
    // the output with the standard init, and stays level with Xavier.
    for q in ratios(&field(standard, |l| l.delta_var)) {
        assert!((2.5..3.6).contains(&q), "standard backward ratio {q}");
    }
    for q in ratios(&field(chosen, |l| l.delta_var)) {
        assert!((0.9..1.2).contains(&q), "Xavier backward ratio {q}");
    }
    // Weight gradients: about the same in every layer with the standard init.
    let wg = field(standard, |l| l.weight_grad_var);
    let (lo, hi) = wg
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    assert!(hi / lo < 1.5, "standard weight-gradient variances {wg:?}");

    // Jacobian singular values: the quarter-circle law predicts 8√c/(3π).
    // For c = 1/3 (standard) tanh' ≈ 1 − Var(h) ≈ 0.98 lowers it slightly;
    // one 1000×1000 matrix fluctuates by well under 1%. Allow 4%.
    // Between hidden layers 2 and 3, as the chapter says.
    assert_eq!(at_init.jacobian_layer, Some(2));
    let (sv_std, sv_xavier) = (
        at_init
            .standard
            .jacobian_mean_sv
            .expect("five hidden layers"),
        at_init.chosen.jacobian_mean_sv.expect("five hidden layers"),
    );
    let theory_std = quarter_circle_mean() / 3f64.sqrt();
    assert!(
        (sv_std / theory_std - 1.0).abs() < 0.04,
        "{sv_std} vs {theory_std}"
    );
    assert!(
        sv_xavier < quarter_circle_mean() && sv_xavier > 0.95 * quarter_circle_mean(),
        "{sv_xavier}"
    );
    // Glorot & Bengio report ≈ 0.5 and ≈ 0.8.
    assert!((sv_std - 0.5).abs() < 0.05 && (sv_xavier - 0.8).abs() < 0.05);
    (sv_std, sv_xavier, theory_std)
}

#[test]
fn the_claims_at_initialization_hold_at_other_seeds() {
    let params = XavierParams::default();
    for seed in [1, 2, 3] {
        let rng = &mut stable_learning::numeric::random::stream(seed, "glorot_at_init", 0);
        let at_init = stable_learning::deep::xavier::glorot_at_init(
            &params,
            rng,
            &mut stable_learning::quiet,
        )
        .unwrap();
        check_at_init(&at_init);
    }
}
