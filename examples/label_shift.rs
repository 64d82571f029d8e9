//! Chapter "Label shift": every figure and number in it.
//!
//! Run `cargo run --example label_shift -- --help` for the flags.

use clap::Parser;
use ndarray::{Array1, Array2, Axis};
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};
use serde::Serialize;
use stable_learning::book::figure::{Figure, Legend, LineChart, Marker};
use stable_learning::book::runner::{Common, Experiment, Run, float_in, int_in};
use stable_learning::nn::data::{CLASSES, Dataset};
use stable_learning::numeric::stats::mean;
use stable_learning::shift::label::{
    adjust_posteriors, bbse, class_frequencies, confusion_conditional, confusion_joint,
    dirichlet_priors, em_priors, expected_counts, log_loss, sample_with_priors, temper, tweak_one,
    weight_error,
};
use stable_learning::shift::logistic::{Softmax, SoftmaxParams, accuracy, argmax_rows};

/// Label shift on handwritten digits: black-box shift estimation (BBSE) and
/// EM estimate the target's class weights from unlabelled target data.
#[derive(Parser, Debug, Clone, PartialEq, Serialize)]
#[command(name = "label_shift", allow_negative_numbers = true)]
struct Args {
    #[command(flatten)]
    common: Common,
    /// Unlabelled target samples for the weights figure and the accuracy table (10..=1000000)
    #[arg(long, default_value_t = 2000, value_parser = int_in(10, 1_000_000))]
    m: usize,
    /// Largest number of target samples in the error-against-samples figure (100..=1000000)
    #[arg(long, default_value_t = 20_000, value_parser = int_in(100, 1_000_000))]
    max_m: usize,
    /// Repetitions per point of the error-against-samples figure and the accuracy table, and re-splits behind the table of floors (1..=10000)
    #[arg(long, default_value_t = 40, value_parser = int_in(1, 10_000))]
    trials: usize,
    /// Tweak-one shift: the probability ρ of the tweaked class (0..=1)
    #[arg(long, default_value_t = 0.5, value_parser = float_in(0.0, 1.0))]
    rho: f64,
    /// Tweak-one shift: the tweaked class (0..=9)
    #[arg(long, default_value_t = 5, value_parser = int_in(0, 9))]
    class: usize,
    /// Dirichlet shift: concentration α of Dir(α) (0.01..=100)
    #[arg(long, default_value_t = 1.0, value_parser = float_in(0.01, 100.0))]
    alpha: f64,
    /// Held-out source rows in the "small source" curve (20..=500)
    #[arg(long, default_value_t = 150, value_parser = int_in(20, 500))]
    small_source: usize,
    /// Largest within-class covariate shift k when the assumption breaks (0..=10)
    #[arg(long, default_value_t = 2.0, value_parser = float_in(0.0, 10.0))]
    covariate: f64,
}

impl Experiment for Args {
    fn common(&mut self) -> &mut Common {
        &mut self.common
    }
}

/// What one estimator says about the target: its class priors q̂.
struct Estimates {
    bbse: Array1<f64>,
    em: Array1<f64>,
}

fn main() {
    let (args, mut run) = Run::start::<Args>("label_shift");
    let mut rng = StdRng::seed_from_u64(args.common.seed);
    let k = CLASSES;

    // ANCHOR: setup
    // Three disjoint parts of the digits: the classifier's training set, a
    // held-out source set on which we measure its confusion matrix, and a
    // pool the label-shifted target samples are drawn from.
    let digits = Dataset::digits();
    let mut idx: Vec<usize> = (0..digits.len()).collect();
    idx.shuffle(&mut rng);
    let (n_train, n_held) = (digits.len() * 4 / 10, digits.len() * 3 / 10);
    let train = digits.select(&idx[..n_train]);
    let held = digits.select(&idx[n_train..n_train + n_held]);
    let pool = digits.select(&idx[n_train + n_held..]);
    let model = Softmax::fit(train.x.view(), &train.y, k, None, SoftmaxParams::default())
        .expect("the classifier fits");
    let train_priors = class_frequencies(&train.y, k);
    // On held-out source data: the joint confusion matrix Ĉ and p(y).
    let held_pred = model.predict(held.x.view());
    let c_joint = confusion_joint(&held_pred, &held.y, k);
    let p = class_frequencies(&held.y, k);
    // On the pool: predictions and posteriors, computed once.
    let pool_post = model.probabilities(pool.x.view());
    let pool_pred = argmax_rows(pool_post.view());
    // ANCHOR_END: setup
    let held_post = model.probabilities(held.x.view());
    let source_accuracy = accuracy(&held_pred, &held.y, None);
    run.say(format!(
        "{} training, {} held-out source and {} pool digits; source accuracy {:.3}",
        train.len(),
        held.len(),
        pool.len(),
        source_accuracy
    ));
    run.record("source_accuracy", source_accuracy);
    run.record("held_out_size", held.len());

    // ANCHOR: estimate
    // BBSE and EM from a target sample, given as how often each row of
    // `post` (posteriors) and `pred` (predicted classes) occurs in it: each
    // returns its estimate of the target priors q̂. BBSE's p̂ is the class
    // frequencies of the rows its Ĉ was measured on (Ĉ's columns sum to
    // them); EM's p is the training set's, the priors the classifier's
    // posteriors were learned under.
    let estimate = |counts: &[f64],
                    post: &Array2<f64>,
                    pred: &[usize],
                    c: &Array2<f64>,
                    p: &Array1<f64>|
     -> Option<Estimates> {
        let mut mu = Array1::<f64>::zeros(k);
        for (&n, &i) in counts.iter().zip(pred) {
            mu[i] += n;
        }
        mu /= mu.sum();
        let w = bbse(c.view(), mu.view()).ok()?; // None if Ĉ is singular
        let bbse_q = &w * p / (&w * p).sum(); // q̂ = ŵ ⊙ p̂, renormalized after clipping
        let em = em_priors(post.view(), Some(counts), train_priors.view(), 1000, 1e-8).ok()?;
        Some(Estimates {
            bbse: bbse_q,
            em: em.priors,
        })
    };
    // ANCHOR_END: estimate
    // How often each of `rows` rows occurs in a sample of row indices.
    let counts_of = |sample: &[usize], rows: usize| {
        let mut counts = vec![0.0; rows];
        for &i in sample {
            counts[i] += 1.0;
        }
        counts
    };
    let weights_of = |q: &Array1<f64>| q / &p;

    // --- Estimated against true weights, tweak-one and Dirichlet -------------
    let tweak = Array1::from(tweak_one(k, args.class, args.rho).expect("valid tweak-one"));
    let dirichlet = Array1::from(dirichlet_priors(args.alpha, k, &mut rng).expect("valid α"));
    let mut panels = Vec::new();
    let mut d2l_sums = Vec::new();
    for (name, q) in [
        (
            format!("tweak-one: class {} has ρ = {}", args.class, args.rho),
            &tweak,
        ),
        (format!("Dirichlet shift, α = {}", args.alpha), &dirichlet),
    ] {
        let sample = sample_with_priors(&pool.y, q.as_slice().unwrap(), None, args.m, &mut rng)
            .expect("every class is in the pool");
        let est = estimate(
            &counts_of(&sample, pool.len()),
            &pool_post,
            &pool_pred,
            &c_joint,
            &p,
        )
        .expect("Ĉ is invertible");
        let classes = |w: Array1<f64>| {
            w.iter()
                .enumerate()
                .map(|(j, &v)| (j as f64, v))
                .collect::<Vec<_>>()
        };
        panels.push(
            LineChart::new(format!("{name}, m = {}", args.m))
                .labels("class y", "weight w(y) = q(y)/p(y)")
                .series("true weights", classes(weights_of(q)), Marker::Dashed)
                .series("BBSE", classes(weights_of(&est.bbse)), Marker::LineDots)
                .series("EM", classes(weights_of(&est.em)), Marker::LineDots)
                .legend(Legend::UpperRight),
        );
        let key = if name.starts_with("tweak") {
            "tweak"
        } else {
            "dirichlet"
        };
        run.record(
            &format!("{key}_bbse_error"),
            weight_error(weights_of(&est.bbse).view(), weights_of(q).view()),
        );
        run.record(
            &format!("{key}_em_error"),
            weight_error(weights_of(&est.em).view(), weights_of(q).view()),
        );
        // d2l's equation read literally: solve Ĉ x = μ̂ with the *joint* Ĉ
        // and call x the target priors. It sums to about Σ q/p, not to 1.
        let predicted: Vec<usize> = sample.iter().map(|&i| pool_pred[i]).collect();
        let mu = class_frequencies(&predicted, k);
        let x = stable_learning::numeric::solve::solve(c_joint.view(), mu.view()).unwrap();
        let c_cond = confusion_conditional(&held_pred, &held.y, k);
        let q_cond = stable_learning::numeric::solve::solve(c_cond.view(), mu.view()).unwrap();
        d2l_sums.push((x.sum(), q_cond.sum()));
    }
    run.figure("weights.svg", &Figure::grid(panels, 2));
    run.record("tweak_true_weight", tweak[args.class] / p[args.class]);
    run.record("d2l_joint_solution_sum", d2l_sums[0].0);
    run.record("conditional_solution_sum", d2l_sums[0].1);
    run.say(format!(
        "d2l's p(y) = Ĉ⁻¹ μ̂ with the joint Ĉ sums to {:.2}; with the conditional Ĉ it sums to {:.6}",
        d2l_sums[0].0, d2l_sums[0].1
    ));

    // --- Weight error against target samples ---------------------------------
    // ANCHOR: error_vs_m
    // Tweak-one shift. Four curves: BBSE when Ĉ is exactly the confusion
    // matrix of the distribution the target is drawn from (targets drawn
    // from the held-out set itself: the limit of plentiful source data);
    // BBSE and EM with targets from the independent pool, Ĉ from all
    // held-out rows; and BBSE with Ĉ from only `small_source` of them.
    let small: Vec<usize> = (0..args.small_source.min(held.len())).collect();
    let small_held = held.select(&small);
    let small_pred: Vec<usize> = small.iter().map(|&i| held_pred[i]).collect();
    let c_small = confusion_joint(&small_pred, &small_held.y, k);
    let p_small = class_frequencies(&small_held.y, k);
    let ms: Vec<usize> = [
        50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000, 50_000, 100_000, 200_000, 500_000,
        1_000_000,
    ]
    .into_iter()
    .filter(|&m| m <= args.max_m)
    .collect();
    let true_w = weights_of(&tweak);
    let mut curves = vec![Vec::new(); 4];
    for &m in &ms {
        let mut errs = vec![Vec::new(); 4];
        for _ in run.steps(0..args.trials, "trials") {
            let exact =
                sample_with_priors(&held.y, tweak.as_slice().unwrap(), None, m, &mut rng).unwrap();
            let e = estimate(
                &counts_of(&exact, held.len()),
                &held_post,
                &held_pred,
                &c_joint,
                &p,
            )
            .expect("Ĉ is invertible");
            errs[0].push(weight_error(weights_of(&e.bbse).view(), true_w.view()));
            let target =
                sample_with_priors(&pool.y, tweak.as_slice().unwrap(), None, m, &mut rng).unwrap();
            let target = counts_of(&target, pool.len());
            let e =
                estimate(&target, &pool_post, &pool_pred, &c_joint, &p).expect("Ĉ is invertible");
            errs[1].push(weight_error(weights_of(&e.bbse).view(), true_w.view()));
            errs[2].push(weight_error(weights_of(&e.em).view(), true_w.view()));
            let e = estimate(&target, &pool_post, &pool_pred, &c_small, &p_small)
                .expect("Ĉ from the small source is invertible");
            errs[3].push(weight_error(weights_of(&e.bbse).view(), true_w.view()));
        }
        for (curve, e) in curves.iter_mut().zip(&errs) {
            curve.push((m as f64, mean(e)));
        }
    }
    // ANCHOR_END: error_vs_m
    let slope = |pts: &[(f64, f64)]| -> f64 {
        let (xs, ys): (Vec<f64>, Vec<f64>) = pts.iter().map(|&(x, y)| (x.ln(), y.ln())).unzip();
        let (mx, my) = (mean(&xs), mean(&ys));
        let cov: f64 = xs.iter().zip(&ys).map(|(x, y)| (x - mx) * (y - my)).sum();
        let var: f64 = xs.iter().map(|x| (x - mx).powi(2)).sum();
        cov / var
    };
    let exact_slope = slope(&curves[0]);
    let tail = |c: &[(f64, f64)]| c[c.len().saturating_sub(3)..].to_vec();
    let pool_tail_slope = slope(&tail(&curves[1]));
    let first = curves[0][0];
    let reference: Vec<(f64, f64)> = ms
        .iter()
        .map(|&m| (m as f64, first.1 * (first.0 / m as f64).sqrt()))
        .collect();
    run.figure(
        "error_vs_m.svg",
        &Figure::single(
            LineChart::new(format!(
                "Weight error against target samples (tweak-one ρ = {}, {} runs each)",
                args.rho, args.trials
            ))
            .labels(
                "target samples m (log scale)",
                "mean ‖q̂/p̂ − w‖₂, q̂ renormalized (log scale)",
            )
            .log_x()
            .log_y()
            .series(
                format!("BBSE, Ĉ exact for the target (slope {exact_slope:.2})"),
                curves[0].clone(),
                Marker::LineDots,
            )
            .series(
                format!("BBSE, Ĉ from {} held-out rows", held.len()),
                curves[1].clone(),
                Marker::LineDots,
            )
            .series("EM, same classifier", curves[2].clone(), Marker::LineDots)
            .series(
                format!("BBSE, Ĉ from {} held-out rows", small.len()),
                curves[3].clone(),
                Marker::LineDots,
            )
            .series("slope −½", reference, Marker::Dashed)
            .legend(Legend::LowerLeft),
        ),
    );
    let last = ms.len() - 1;
    run.say(format!(
        "log-log slope with exact Ĉ: {exact_slope:.3}; with Ĉ from the held-out set the error levels off at {:.3} (last three points' slope {pool_tail_slope:.2}); with {} rows at {:.3}",
        curves[1][last].1,
        small.len(),
        curves[3][last].1
    ));
    run.record("exact_slope", exact_slope);
    run.record("pool_tail_slope", pool_tail_slope);
    run.record("error_exact_max_m", curves[0][last].1);
    run.record("error_bbse_max_m", curves[1][last].1);
    run.record("error_em_max_m", curves[2][last].1);
    run.record("error_small_max_m", curves[3][last].1);
    run.record("error_bbse_min_m", curves[1][0].1);
    run.record("max_m", ms[last]);
    run.record("error_curves", &curves);

    // --- Accuracy before and after correcting the posteriors -----------------
    // ANCHOR: correct
    // Each row's posterior p(y | x) times q̂(y)/p_train(y), renormalized.
    let corrected_accuracy = |sample: &[usize], q: &Array1<f64>| {
        let post = pool_post.select(Axis(0), sample);
        let adjusted = adjust_posteriors(post.view(), (q / &train_priors).view());
        let labels: Vec<usize> = sample.iter().map(|&i| pool.y[i]).collect();
        accuracy(&argmax_rows(adjusted.view()), &labels, None)
    };
    // ANCHOR_END: correct
    let mut table = String::from(
        "| target shift | no correction | true weights | BBSE weights | EM weights |\n|---|---:|---:|---:|---:|\n",
    );
    let shifts: Vec<(String, Option<f64>)> = vec![
        (format!("tweak-one, ρ = {}", args.rho), None),
        ("tweak-one, ρ = 0.9".to_string(), None),
        ("Dirichlet, α = 0.1".to_string(), Some(0.1)),
        ("Dirichlet, α = 1".to_string(), Some(1.0)),
        ("Dirichlet, α = 10".to_string(), Some(10.0)),
    ];
    let mut accuracy_rows = Vec::new();
    for (i, (name, alpha)) in shifts.iter().enumerate() {
        let mut acc = vec![Vec::new(); 4];
        for _ in run.steps(0..args.trials, "trials") {
            let q = match alpha {
                Some(a) => Array1::from(dirichlet_priors(*a, k, &mut rng).unwrap()),
                None => Array1::from(
                    tweak_one(k, args.class, if i == 0 { args.rho } else { 0.9 }).unwrap(),
                ),
            };
            let sample =
                sample_with_priors(&pool.y, q.as_slice().unwrap(), None, args.m, &mut rng).unwrap();
            let est = estimate(
                &counts_of(&sample, pool.len()),
                &pool_post,
                &pool_pred,
                &c_joint,
                &p,
            )
            .expect("Ĉ is invertible");
            acc[0].push(corrected_accuracy(&sample, &train_priors));
            acc[1].push(corrected_accuracy(&sample, &q));
            acc[2].push(corrected_accuracy(&sample, &est.bbse));
            acc[3].push(corrected_accuracy(&sample, &est.em));
        }
        let means: Vec<f64> = acc.iter().map(|a| mean(a)).collect();
        table += &format!(
            "| {name} | {:.3} | {:.3} | {:.3} | {:.3} |\n",
            means[0], means[1], means[2], means[3]
        );
        accuracy_rows.push(means);
    }
    run.say(format!(
        "Target accuracy, m = {}, mean of {} runs:",
        args.m, args.trials
    ));
    run.say(&table);
    run.text("accuracy.md", &table);
    run.record("accuracy_rows", &accuracy_rows);

    // --- When label shift is not the whole story -----------------------------
    // ANCHOR: broken
    // The target's classes follow the tweak-one priors, and within each class
    // it prefers heavily inked images: row i is drawn ∝ exp(k·z_i), z the
    // standardized mean pixel. Now p(x | y) differs between source and
    // target, and BBSE's equation no longer holds.
    let ink: Vec<f64> = pool.x.mean_axis(Axis(1)).unwrap().to_vec();
    let (ink_mean, ink_std) = (
        mean(&ink),
        stable_learning::numeric::stats::variance(&ink).sqrt(),
    );
    let z: Vec<f64> = ink.iter().map(|v| (v - ink_mean) / ink_std).collect();
    let strengths: Vec<f64> = (0..=8).map(|i| args.covariate * i as f64 / 8.0).collect();
    let mut broken = vec![Vec::new(); 2];
    for &s in &strengths {
        let row_w: Vec<f64> = z.iter().map(|z| (s * z).exp()).collect();
        let (mut eb, mut ee) = (Vec::new(), Vec::new());
        for _ in run.steps(0..args.trials, "trials") {
            let sample = sample_with_priors(
                &pool.y,
                tweak.as_slice().unwrap(),
                Some(&row_w),
                args.m,
                &mut rng,
            )
            .unwrap();
            let e = estimate(
                &counts_of(&sample, pool.len()),
                &pool_post,
                &pool_pred,
                &c_joint,
                &p,
            )
            .expect("Ĉ is invertible");
            eb.push(weight_error(weights_of(&e.bbse).view(), true_w.view()));
            ee.push(weight_error(weights_of(&e.em).view(), true_w.view()));
        }
        broken[0].push((s, mean(&eb)));
        broken[1].push((s, mean(&ee)));
    }
    // ANCHOR_END: broken
    run.figure(
        "broken.svg",
        &Figure::single(
            LineChart::new(format!(
                "Label shift plus a within-class covariate shift (m = {}, {} runs each)",
                args.m, args.trials
            ))
            .labels(
                "within-class shift k (target rows drawn ∝ exp(k·ink))",
                "mean ‖q̂/p̂ − w‖₂, q̂ renormalized",
            )
            .series("BBSE", broken[0].clone(), Marker::LineDots)
            .series("EM", broken[1].clone(), Marker::LineDots)
            .legend(Legend::UpperLeft),
        ),
    );
    let lastb = strengths.len() - 1;
    run.say(format!(
        "Assumption broken: BBSE error {:.3} at k = 0, {:.3} at k = {}; EM {:.3} and {:.3}",
        broken[0][0].1, broken[0][lastb].1, strengths[lastb], broken[1][0].1, broken[1][lastb].1
    ));
    run.record("broken_bbse_k0", broken[0][0].1);
    run.record("broken_bbse_kmax", broken[0][lastb].1);
    run.record("broken_em_k0", broken[1][0].1);
    run.record("broken_em_kmax", broken[1][lastb].1);
    // More target samples would not help: the same at m → ∞, exactly.
    let row_w: Vec<f64> = z.iter().map(|z| (strengths[lastb] * z).exp()).collect();
    let limit = expected_counts(&pool.y, tweak.as_slice().unwrap(), Some(&row_w))
        .expect("every class is in the pool");
    let e = estimate(&limit, &pool_post, &pool_pred, &c_joint, &p).expect("Ĉ is invertible");
    run.record(
        "broken_bbse_kmax_limit",
        weight_error(weights_of(&e.bbse).view(), true_w.view()),
    );
    run.record(
        "broken_em_kmax_limit",
        weight_error(weights_of(&e.em).view(), true_w.view()),
    );

    // --- Where the floors come from ------------------------------------------
    // ANCHOR: floors
    // The floors of Figure 6.2, exactly: as m → ∞ a target sample holds row i
    // of class j a fraction q_j / n_j of the time (`expected_counts`), and
    // BBSE and EM fed those fractions give the errors the curves level off
    // at. `others` holds the digits the classifier never trained on, the
    // held-out set first, then the pool. Ĉ comes from rows `c_rows`, p̂ from
    // rows `p_rows` (a set that contains them), targets from rows
    // `target_rows`, and EM reads the posteriors tempered by τ.
    let others = digits.select(&idx[n_train..]);
    let others_post = model.probabilities(others.x.view());
    let others_pred = argmax_rows(others_post.view()); // the same at every τ
    let labels_of = |rows: &[usize]| rows.iter().map(|&i| others.y[i]).collect::<Vec<_>>();
    let floor = |c_rows: &[usize], p_rows: &[usize], target_rows: &[usize], tau: f64| {
        let pred_of = |rows: &[usize]| rows.iter().map(|&i| others_pred[i]).collect::<Vec<_>>();
        let c = confusion_joint(&pred_of(c_rows), &labels_of(c_rows), k);
        let p_c = class_frequencies(&labels_of(c_rows), k);
        let p_ref = class_frequencies(&labels_of(p_rows), k);
        let counts =
            expected_counts(&labels_of(target_rows), tweak.as_slice().unwrap(), None).ok()?;
        let post = temper(others_post.select(Axis(0), target_rows).view(), tau);
        let e = estimate(&counts, &post, &pred_of(target_rows), &c, &p_c)?;
        let w = &tweak / &p_ref;
        Some([
            weight_error((&e.bbse / &p_ref).view(), w.view()),
            weight_error((&e.em / &p_ref).view(), w.view()),
        ])
    };
    // The temperature that fits rows `rows` best: the lowest log-loss on a
    // grid from 0.5 to 4 in steps of 0.05.
    let best_tau = |rows: &[usize]| {
        let post = others_post.select(Axis(0), rows);
        let labels = labels_of(rows);
        (10..=80)
            .map(|i| i as f64 / 20.0)
            .map(|tau| (tau, log_loss(temper(post.view(), tau).view(), &labels)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .expect("a non-empty grid")
            .0
    };
    let n_small = args.small_source.min(held.len()).min(pool.len());
    // The chapter's own split first: the floors its curves approach.
    let held_rows: Vec<usize> = (0..held.len()).collect();
    let pool_rows: Vec<usize> = (held.len()..others.len()).collect();
    let at_infinity = floor(&held_rows, &held_rows, &pool_rows, 1.0).expect("Ĉ is invertible");
    let small_at_infinity =
        floor(&held_rows[..n_small], &held_rows, &pool_rows, 1.0).expect("Ĉ is invertible");
    // Then `trials` random re-splits of the same digits, four settings each.
    let mut floors: Vec<Vec<[f64; 2]>> = vec![Vec::new(); 4];
    let mut taus = Vec::new();
    for _ in run.steps(0..args.trials, "trials") {
        let mut rows: Vec<usize> = (0..others.len()).collect();
        rows.shuffle(&mut rng);
        let (h, t) = rows.split_at(held.len());
        let tau = best_tau(h);
        let settings = [
            floor(h, h, t, 1.0),
            floor(&h[..n_small], h, t, 1.0),
            floor(h, h, &t[..n_small], 1.0),
            floor(h, h, t, tau),
        ];
        // A re-split whose small Ĉ is singular is skipped, in every setting.
        if settings.iter().all(Option::is_some) {
            for (f, v) in floors.iter_mut().zip(settings) {
                f.push(v.expect("checked"));
            }
            taus.push(tau);
        }
    }
    // ANCHOR_END: floors
    let mean_floor = |s: usize, e: usize| mean(&floors[s].iter().map(|v| v[e]).collect::<Vec<_>>());
    let (n_h, n_p) = (held.len(), pool.len());
    let mut table = String::from(
        "| held-out digits (Ĉ, p̂) | pool digits (targets) | EM's posteriors | BBSE floor | EM floor |\n|---:|---:|---|---:|---:|\n",
    );
    let rows = [
        (n_h, n_p, "as trained".to_string()),
        (n_small, n_p, "as trained".to_string()),
        (n_h, n_small, "as trained".to_string()),
        (
            n_h,
            n_p,
            format!("tempered, τ fitted (mean {:.2})", mean(&taus)),
        ),
    ];
    for (s, (h, t, post)) in rows.iter().enumerate() {
        table += &format!(
            "| {h} | {t} | {post} | {:.3} | {:.3} |\n",
            mean_floor(s, 0),
            mean_floor(s, 1)
        );
    }
    run.say(format!(
        "Floors at m = ∞ on the chapter's split: BBSE {:.3} ({} held-out rows) and {:.3} ({n_small}), EM {:.3}; means over {} re-splits:",
        at_infinity[0],
        held.len(),
        small_at_infinity[0],
        at_infinity[1],
        floors[0].len()
    ));
    run.say(&table);
    run.text("floors.md", &table);
    let chapter_tau = best_tau(&held_rows);
    let top: Vec<f64> = held_post
        .rows()
        .into_iter()
        .map(|r| r.fold(0.0f64, |a, &b| a.max(b)))
        .collect();
    run.record("floor_bbse", at_infinity[0]);
    run.record("floor_em", at_infinity[1]);
    run.record("floor_small", small_at_infinity[0]);
    run.record(
        "floor_em_fitted_tau",
        floor(&held_rows, &held_rows, &pool_rows, chapter_tau).expect("Ĉ is invertible")[1],
    );
    run.record("fitted_tau", chapter_tau);
    run.record("held_mean_top_probability", mean(&top));
    run.record("resplits", floors[0].len());
    run.record("resplit_mean_tau", mean(&taus));
    run.record(
        "resplit_floors",
        (0..4)
            .map(|s| [mean_floor(s, 0), mean_floor(s, 1)])
            .collect::<Vec<_>>(),
    );
    run.record("small_size", n_small);
    run.record("pool_size", pool.len());
    run.record(
        "rare_class_expected_count",
        args.m as f64 * (1.0 - 0.9) / (k - 1) as f64,
    );
    run.finish();
}
