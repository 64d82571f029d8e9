//! Chapter "Label shift": the exercises' solutions. The chapter includes the
//! anchored functions; the tests check the answers they give.

mod common;

use common::{assert_mentions, chapter, example_json, result, temp_dir};
use ndarray::Array1;
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};
use stable_learning::nn::data::{CLASSES, Dataset};
use stable_learning::shift::label::{
    ChapterSplit, Floors, SplitSummary, bbse, chapter_split, class_frequencies,
    confusion_conditional, confusion_joint, em_priors, expected_counts, fitted_temperature,
    sample_with_priors, temper, tweak_one, weight_error,
};
use stable_learning::shift::logistic::{Softmax, SoftmaxParams};

/// A classifier trained on 60% of the digits, and the other 40% (held out).
fn classifier_and_held_out() -> (Softmax, Dataset, Dataset) {
    let digits = Dataset::digits();
    let mut idx: Vec<usize> = (0..digits.len()).collect();
    idx.shuffle(&mut StdRng::seed_from_u64(7));
    let n = digits.len() * 6 / 10;
    let (train, held) = (digits.select(&idx[..n]), digits.select(&idx[n..]));
    let model = Softmax::fit(
        train.x.view(),
        &train.y,
        CLASSES,
        None,
        SoftmaxParams::default(),
    )
    .unwrap();
    (model, train, held)
}

// ANCHOR: joint_or_conditional
/// Exercise 1: solve the BBSE system for a target sample drawn from `held`
/// with tweak-one priors, once with `model`'s joint and once with its
/// conditional confusion matrix. Returns q̂ and max |w ⊙ p − q̂|.
fn joint_or_conditional(model: &Softmax, held: &Dataset) -> (Array1<f64>, f64) {
    let pred = model.predict(held.x.view());
    let q = tweak_one(CLASSES, 5, 0.5).unwrap();
    let sample =
        sample_with_priors(&held.y, &q, None, 5000, &mut StdRng::seed_from_u64(8)).unwrap();
    let predicted: Vec<usize> = sample.iter().map(|&i| pred[i]).collect();
    let mu = class_frequencies(&predicted, CLASSES);
    let p = class_frequencies(&held.y, CLASSES);
    // Joint Ĉ: the solution is the weight vector w = q/p ...
    let joint = confusion_joint(&pred, &held.y, CLASSES);
    let w = stable_learning::numeric::solve::solve(joint.view(), mu.view()).unwrap();
    // ... conditional Ĉ: the solution is the target priors q itself.
    let conditional = confusion_conditional(&pred, &held.y, CLASSES);
    let q_hat = stable_learning::numeric::solve::solve(conditional.view(), mu.view()).unwrap();
    let difference = (&w * &p - &q_hat)
        .mapv(f64::abs)
        .fold(0.0f64, |a, &b| a.max(b));
    println!(
        "max |w ⊙ p − q̂| = {difference:.1e}; Σw = {:.2}, Σq̂ = {:.6}",
        w.sum(),
        q_hat.sum()
    );
    (q_hat, difference)
}
// ANCHOR_END: joint_or_conditional

#[test]
fn exercise_1_joint_or_conditional() {
    let (model, _, held) = classifier_and_held_out();
    let (q_hat, difference) = joint_or_conditional(&model, &held);
    assert!(difference < 1e-12);
    assert!(
        (q_hat.sum() - 1.0).abs() < 1e-12,
        "columns of the conditional Ĉ sum to 1"
    );
}

// ANCHOR: calibration
/// Exercise 2: the weight errors of BBSE and EM at m = ∞ when the
/// classifier's probabilities are tempered by τ, on the chapter's classifier
/// and split (seed 42, as `cargo run --example label_shift` makes them).
/// Returns the rows (τ, BBSE error, EM error) and the fitted temperature.
fn calibration_errors() -> (Vec<(f64, f64, f64)>, f64) {
    let split = chapter_split(&mut StdRng::seed_from_u64(42));
    let ChapterSplit {
        model,
        held,
        pool,
        train_priors,
        p,
        pool_post,
        pool_pred,
        ..
    } = &split;
    let joint = &split.c_joint;
    let q = Array1::from(tweak_one(CLASSES, 5, 0.5).unwrap());
    let true_w = &q / p;
    // m = ∞: each pool row's share of an endless tweak-one target sample.
    let counts = expected_counts(&pool.y, q.as_slice().unwrap(), None).unwrap();
    let mut mu = Array1::<f64>::zeros(CLASSES);
    for (&n, &i) in counts.iter().zip(pool_pred) {
        mu[i] += n;
    }
    // BBSE sees only the predicted classes, which tempering never changes.
    let w = bbse(joint.view(), mu.view()).unwrap();
    let bbse_q = &w * p / (&w * p).sum();
    // The temperature that fits the held-out digits best: lowest log-loss.
    let held_post = model.probabilities(held.x.view());
    let fitted = fitted_temperature(held_post.view(), &held.y);
    let mut rows = Vec::new();
    for tau in [0.3, 1.0, fitted, 3.0] {
        let tempered = temper(pool_post.view(), tau);
        let em = em_priors(
            tempered.view(),
            Some(&counts),
            train_priors.view(),
            1000,
            1e-8,
        )
        .unwrap();
        let e_bbse = weight_error((&bbse_q / p).view(), true_w.view());
        let e_em = weight_error((&em.priors / p).view(), true_w.view());
        println!("τ = {tau}: weight error BBSE {e_bbse:.3}, EM {e_em:.3}");
        rows.push((tau, e_bbse, e_em));
    }
    (rows, fitted)
}
// ANCHOR_END: calibration

#[test]
fn exercise_2_em_needs_calibration_bbse_does_not() {
    let (rows, fitted) = calibration_errors();
    let out = temp_dir("label-calibration");
    let doc = example_json("label_shift", &[], &out);
    let split: SplitSummary = result(&doc, "chapter_split");
    let floors: Floors = result(&doc, "floors");
    let text = chapter("label_shift.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let (under, calibrated, fit, over) = (rows[0], rows[1], rows[2], rows[3]);
    // The same split and classifier as the chapter: the τ = 1 and fitted-τ
    // rows are the example's floors. (1e-9: the posteriors of the pool are
    // computed there as part of a larger matrix product, which may round
    // differently in the last bits.)
    assert_eq!(fitted, floors.fitted_tau);
    assert!((calibrated.2 - floors.em).abs() < 1e-9);
    assert!((calibrated.1 - floors.bbse).abs() < 1e-9);
    assert!((fit.2 - floors.em_fitted_tau).abs() < 1e-9);
    // BBSE sees the same predictions at every temperature.
    for row in &rows {
        assert_eq!(row.1, calibrated.1);
    }
    // Softening wrecks EM.
    assert!(under.2 > 5.0 * calibrated.2, "{rows:?}");
    // The classifier is under-confident: the best temperature sharpens, and
    // its mean top probability on the held-out digits is below its accuracy.
    assert!(fitted > 1.0);
    let (top, acc) = (split.held_mean_top_probability, split.source_accuracy);
    assert!(top < acc);
    assert_mentions(
        &text,
        &format!("its top probability averages {top:.3} while it is right on {acc:.3} of them"),
        "the under-confidence",
    );
    assert_mentions(
        &text,
        &format!("sharpening its probabilities to τ = {fitted} fits those digits best"),
        "the fitted temperature",
    );
    // On this one pool calibration helps EM only a little (less than 10%),
    // and over-sharpening hurts it.
    assert!(
        fit.2 < calibrated.2 && fit.2 > 0.9 * calibrated.2,
        "{rows:?}"
    );
    assert!(over.2 > calibrated.2, "{rows:?}");
    assert_mentions(
        &text,
        &format!(
            "At τ = 1 EM's error is {:.3}, the floor its curve in Figure 6.2 approaches; calibrated, it is {:.3}, hardly lower",
            calibrated.2, fit.2
        ),
        "EM at τ = 1 and fitted",
    );
    // Averaged over the re-splits, calibration lowers EM's floor by far more
    // than on this one pool, and below BBSE's.
    let (plain, tempered) = (&floors.resplit[0], &floors.resplit[3]);
    assert!(!plain.tempered && tempered.tempered);
    assert!(
        tempered.em < plain.em && tempered.em < plain.bbse,
        "{floors:?}"
    );
    assert!(
        calibrated.2 - fit.2 < (plain.em - tempered.em) / 2.0,
        "the single pool hides most of the gain"
    );
    assert_mentions(
        &text,
        &format!(
            "calibration lowers EM's floor from {:.3} to {:.3}, below BBSE's {:.3}",
            plain.em, tempered.em, plain.bbse
        ),
        "the re-split means",
    );
    for (tau, b, e) in rows {
        assert_mentions(
            &text,
            &format!("| {tau} | {b:.3} | {e:.3} |"),
            "the calibration table",
        );
    }
}
