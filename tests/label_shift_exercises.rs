//! Chapter "Label shift": the exercises' solutions. The chapter includes the
//! anchored parts; the assertions check the answers it gives.

mod common;

use common::{assert_mentions, chapter};
use ndarray::{Array1, Array2};
use rand::seq::SliceRandom;
use rand::{SeedableRng, rngs::StdRng};
use stable_learning::data::{CLASSES, Dataset};
use stable_learning::logistic::{Softmax, SoftmaxParams};
use stable_learning::shift::label::{
    bbse, class_frequencies, confusion_conditional, confusion_joint, em_priors, sample_with_priors,
    tweak_one, weight_error,
};

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

#[test]
fn exercise_1_joint_or_conditional() {
    let (model, _, held) = classifier_and_held_out();
    let pred = model.predict(held.x.view());
    let q = tweak_one(CLASSES, 5, 0.5).unwrap();
    let sample =
        sample_with_priors(&held.y, &q, None, 5000, &mut StdRng::seed_from_u64(8)).unwrap();
    let predicted: Vec<usize> = sample.iter().map(|&i| pred[i]).collect();
    // ANCHOR: joint_or_conditional
    let mu = class_frequencies(&predicted, CLASSES);
    let p = class_frequencies(&held.y, CLASSES);
    // Joint Ĉ: the solution is the weight vector w = q/p ...
    let joint = confusion_joint(&pred, &held.y, CLASSES);
    let w = stable_learning::solve::solve(joint.view(), mu.view()).unwrap();
    // ... conditional Ĉ: the solution is the target priors q itself.
    let conditional = confusion_conditional(&pred, &held.y, CLASSES);
    let q_hat = stable_learning::solve::solve(conditional.view(), mu.view()).unwrap();
    let difference = (&w * &p - &q_hat)
        .mapv(f64::abs)
        .fold(0.0f64, |a, &b| a.max(b));
    println!(
        "max |w ⊙ p − q̂| = {difference:.1e}; Σw = {:.2}, Σq̂ = {:.6}",
        w.sum(),
        q_hat.sum()
    );
    // ANCHOR_END: joint_or_conditional
    assert!(difference < 1e-12);
    assert!(
        (q_hat.sum() - 1.0).abs() < 1e-12,
        "columns of the conditional Ĉ sum to 1"
    );
}

/// Sharpens (τ > 1) or softens (τ < 1) every row of posteriors: p^τ,
/// renormalized — the same as multiplying the logits by τ.
fn temper(post: &Array2<f64>, tau: f64) -> Array2<f64> {
    let mut out = post.mapv(|p| p.powf(tau));
    for mut row in out.rows_mut() {
        let s = row.sum();
        row /= s;
    }
    out
}

fn calibration_errors() -> Vec<(f64, f64, f64)> {
    let (model, train, held) = classifier_and_held_out();
    let post = model.probabilities(held.x.view());
    let pred = model.predict(held.x.view());
    let p = class_frequencies(&held.y, CLASSES);
    let train_priors = class_frequencies(&train.y, CLASSES);
    let joint = confusion_joint(&pred, &held.y, CLASSES);
    let q = Array1::from(tweak_one(CLASSES, 5, 0.5).unwrap());
    let true_w = &q / &p;
    // ANCHOR: calibration
    // Targets drawn from the held-out set itself, so Ĉ is exact and only the
    // posteriors' calibration matters. m = 20000, 20 draws per temperature.
    let mut rows = Vec::new();
    for tau in [0.3, 1.0, 3.0] {
        let mut rng = StdRng::seed_from_u64(9); // the same draws for every τ
        let tempered = temper(&post, tau);
        let (mut e_bbse, mut e_em) = (0.0, 0.0);
        for _ in 0..20 {
            let sample =
                sample_with_priors(&held.y, q.as_slice().unwrap(), None, 20_000, &mut rng).unwrap();
            let mut counts = vec![0.0; held.len()];
            for &i in &sample {
                counts[i] += 1.0;
            }
            // BBSE uses only the predicted class, which tempering never changes.
            let predicted: Vec<usize> = sample.iter().map(|&i| pred[i]).collect();
            let w = bbse(joint.view(), class_frequencies(&predicted, CLASSES).view()).unwrap();
            let em = em_priors(
                tempered.view(),
                Some(&counts),
                train_priors.view(),
                1000,
                1e-8,
            )
            .unwrap();
            e_bbse += weight_error(w.view(), true_w.view()) / 20.0;
            e_em += weight_error((&em.priors / &p).view(), true_w.view()) / 20.0;
        }
        println!("τ = {tau}: weight error BBSE {e_bbse:.3}, EM {e_em:.3}");
        rows.push((tau, e_bbse, e_em));
    }
    // ANCHOR_END: calibration
    rows
}

#[test]
fn exercise_2_em_needs_calibration_bbse_does_not() {
    let rows = calibration_errors();
    let text = chapter("label_shift.md");
    let (under, calibrated, over) = (rows[0], rows[1], rows[2]);
    // BBSE sees the same predictions at every temperature.
    assert!((under.1 - calibrated.1).abs() < 1e-12 && (over.1 - calibrated.1).abs() < 1e-12);
    // EM depends on calibration: softening hurts it badly, and our
    // L2-regularized softmax is under-confident, so sharpening helps it.
    assert!(under.2 > 5.0 * calibrated.2, "{rows:?}");
    assert!(over.2 < calibrated.2, "{rows:?}");
    assert!(
        calibrated.1 < calibrated.2,
        "BBSE beats EM on these posteriors"
    );
    for (tau, b, e) in rows {
        assert_mentions(
            &text,
            &format!("| {tau} | {b:.3} | {e:.3} |"),
            "the calibration table",
        );
    }
}
