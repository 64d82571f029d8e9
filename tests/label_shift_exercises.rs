//! Chapter "Label shift": the exercises' solutions. The chapter includes the
//! anchored functions; the tests check the answers they give.

mod common;

use common::{assert_mentions, chapter, example_json, result, temp_dir};
use ndarray::Array1;
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};
use stable_learning::nn::data::{CLASSES, Dataset};
use stable_learning::numeric::random::stream;
use stable_learning::numeric::stats::Spread;
use stable_learning::shift::label::{
    ChapterSplit, SplitResults, bbse, chapter_split, class_frequencies, confusion_conditional,
    confusion_joint, em_priors, expected_counts, fitted_temperature, sample_with_priors, temper,
    tweak_one, weight_error,
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
/// classifier's probabilities are tempered by τ, on split `r` of the chapter
/// (the classifier and digits `cargo run --example label_shift` makes from
/// seed 42). Returns the rows (τ, BBSE error, EM error); the third row's τ
/// is the fitted temperature.
fn calibration_errors(r: u64) -> Vec<(f64, f64, f64)> {
    let split = chapter_split(&mut stream(42, "chapter_split", r));
    let ChapterSplit {
        held,
        pool,
        train_priors,
        p,
        held_post,
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
        println!("split {r}, τ = {tau}: weight error BBSE {e_bbse:.3}, EM {e_em:.3}");
        rows.push((tau, e_bbse, e_em));
    }
    rows
}
// ANCHOR_END: calibration

#[test]
fn exercise_2_em_needs_calibration_bbse_does_not() {
    let splits: Vec<Vec<(f64, f64, f64)>> = (0..5).map(calibration_errors).collect();
    let out = temp_dir("label-calibration");
    // The floors on each split do not depend on the error curves' sizes
    // or on the number of re-splits (each experiment has its own stream).
    let doc = example_json("label_shift", &["--max-m", "100", "--trials", "1"], &out);
    let results: Vec<SplitResults> = result(&doc, "splits");
    assert_eq!(results.len(), 5);
    let text = chapter("label_shift.md")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for (rows, r) in splits.iter().zip(&results) {
        let (under, plain, fit, over) = (rows[0], rows[1], rows[2], rows[3]);
        let floors = &r.floors;
        // The same splits and classifiers as the chapter's: the τ = 1 and
        // fitted-τ rows are the example's floors (1e-9: the pool's
        // posteriors are computed there as part of a larger matrix product,
        // which may round differently in the last bits).
        assert_eq!(fit.0, floors.fitted_tau);
        assert!((plain.2 - floors.em).abs() < 1e-9);
        assert!((plain.1 - floors.bbse).abs() < 1e-9);
        assert!((fit.2 - floors.em_fitted_tau).abs() < 1e-9);
        // BBSE sees the same predictions at every temperature.
        for row in rows {
            assert_eq!(row.1, plain.1);
        }
        // Softening wrecks EM; calibrating about halves its floor or better
        // on every split; sharpening further, to τ = 3, lowers it further.
        assert!(under.2 > 5.0 * plain.2, "{rows:?}");
        assert!(fit.2 < 0.55 * plain.2 && fit.2 < fit.1, "{rows:?}");
        assert!(over.2 < fit.2, "{rows:?}");
        // The classifier is under-confident on every split: the best
        // temperature sharpens, and its mean top probability on the
        // held-out digits is below its accuracy.
        let s = &r.summary;
        assert!(fit.0 > 1.0 && s.held_mean_top_probability < s.source_accuracy);
    }
    let median_of = |f: &dyn Fn(&SplitResults) -> f64| Spread::of(results.iter().map(f).collect());
    let top = median_of(&|r| r.summary.held_mean_top_probability);
    let acc = median_of(&|r| r.summary.source_accuracy);
    assert_mentions(
        &text,
        &format!(
            "its top probability averages a median {:.3} while it is right on {:.3} of them",
            top.median, acc.median
        ),
        "the under-confidence",
    );
    let tau = median_of(&|r| r.floors.fitted_tau);
    assert_mentions(
        &text,
        &format!(
            "sharpening its probabilities to τ = {} (median; {} to {})",
            tau.median, tau.min, tau.max
        ),
        "the fitted temperature",
    );
    let ratios = Spread::of(splits.iter().map(|rows| rows[2].2 / rows[1].2).collect());
    assert_mentions(
        &text,
        &format!("{:.2} to {:.2} times that", ratios.min, ratios.max),
        "what calibration buys EM",
    );
    // The table: medians over the splits.
    for (i, label) in ["0.3", "1", "fitted", "3"].iter().enumerate() {
        let b = Spread::of(splits.iter().map(|rows| rows[i].1).collect()).median;
        let e = Spread::of(splits.iter().map(|rows| rows[i].2).collect()).median;
        assert_mentions(
            &text,
            &format!("| {label} | {b:.3} | {e:.3} |"),
            "the calibration table",
        );
    }
}
