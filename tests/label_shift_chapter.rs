//! Chapter "Label shift": every number the prose states is computed here
//! (by running the example at its defaults) and looked up in the chapter's
//! text; BBSE and EM are checked against the truth on a problem where
//! everything is known.

mod common;

use common::{example_json, result, run_example_into, temp_dir};
use ndarray::{Array1, Array2};
use rand::{RngExt, SeedableRng, rngs::StdRng};
use stable_learning::numeric::normal::StandardNormal;
use stable_learning::numeric::stats::Spread;
use stable_learning::shift::covariate::normal_pdf;
use stable_learning::shift::label::{
    SplitResults, bbse, class_frequencies, confusion_joint, em_priors, weight_error,
};

fn text() -> String {
    common::chapter_words("label_shift.md")
}

fn mentions(text: &str, needle: &str, what: &str) {
    common::assert_mentions_words(text, needle, what);
}

/// "median (min–max)" as the chapter writes it.
fn median_range(s: &Spread) -> String {
    format!("{:.3} ({:.3}–{:.3})", s.median, s.min, s.max)
}

#[test]
fn example_results_match_the_chapter_and_the_claims() {
    let out = temp_dir("label-chapter");
    let doc = example_json("label_shift", &[], &out);
    let r: Vec<SplitResults> = result(&doc, "splits");
    assert_eq!(r.len(), 5);
    let over = |f: &dyn Fn(&SplitResults) -> f64| Spread::of(r.iter().map(f).collect());
    let t = text();

    let acc = over(&|x| x.summary.source_accuracy);
    mentions(
        &t,
        &format!(
            "right on a median {:.3} of the held-out digits ({:.3}–{:.3} over the five splits)",
            acc.median, acc.min, acc.max
        ),
        "the source accuracy",
    );
    let s0 = &r[0].summary;
    mentions(
        &t,
        &format!("a held-out source set ({})", s0.held_out_size),
        "the held-out size",
    );
    // d2l's equation read literally sums to about k = 10, not 1, on every
    // split; the conditional system sums to 1.
    for x in &r {
        let d2l = x.shifts.tweak_one.joint_solution_sum;
        assert!((d2l - 10.0).abs() < 1.5, "{d2l}");
        assert!((x.shifts.tweak_one.conditional_solution_sum - 1.0).abs() < 1e-9);
    }
    let first = &r[0].shifts;
    mentions(
        &t,
        &format!(
            "gives a vector that sums to {:.2}",
            first.tweak_one.joint_solution_sum
        ),
        "d2l's sum",
    );
    mentions(
        &t,
        &format!("sums to {:.6}", first.tweak_one.conditional_solution_sum),
        "the conditional sum",
    );
    mentions(
        &t,
        &format!(
            "weight of class 5 is {:.2} there",
            first.tweaked_true_weight
        ),
        "the tweaked weight",
    );
    let (tb, te) = (
        over(&|x| x.shifts.tweak_one.bbse_error),
        over(&|x| x.shifts.tweak_one.em_error),
    );
    mentions(
        &t,
        &format!(
            "off by a median {:.3} (BBSE, {:.3}–{:.3}) and {:.3} (EM, {:.3}–{:.3})",
            tb.median, tb.min, tb.max, te.median, te.min, te.max
        ),
        "the tweak-one errors",
    );
    let (db, de) = (
        over(&|x| x.shifts.dirichlet.bbse_error),
        over(&|x| x.shifts.dirichlet.em_error),
    );
    mentions(
        &t,
        &format!(
            "by {} and {:.3} ({:.3}–{:.3})",
            median_range(&db),
            de.median,
            de.min,
            de.max
        ),
        "the Dirichlet errors",
    );
    // Figure 7.1's alt text (the first split): the spike at class 5, and the
    // Dirichlet draw's range.
    assert!((first.tweaked_true_weight - 4.8).abs() < 0.05);
    let dw = &first.dirichlet.true_weights;
    let (lo, hi) = dw
        .iter()
        .fold((f64::MAX, 0.0f64), |(l, h), &v| (l.min(v), h.max(v)));
    assert!((lo - 0.1).abs() < 0.05 && (hi - 2.9).abs() < 0.05, "{dw:?}");

    // The error shrinks like m^(-1/2) when Ĉ is exact, on every split.
    let slope = over(&|x| x.errors.exact_slope);
    assert!(slope.min > -0.6 && slope.max < -0.4, "{slope:?}");
    mentions(
        &t,
        &format!(
            "of fitted slope {:.3} on log-log axes (between {:.3} and {:.3} on the five splits)",
            slope.median, slope.min, slope.max
        ),
        "the slope",
    );
    let at_max_m = |c: &[(f64, f64)]| c.last().expect("a point per m").1;
    assert_eq!(r[0].errors.ms.last(), Some(&20_000));
    let exact = over(&|x| at_max_m(&x.errors.exact));
    mentions(
        &t,
        &format!("down to a median {:.4} at 20000", exact.median),
        "the smallest error",
    );
    // With Ĉ estimated, more target samples stop helping: on every split
    // the curve is flat at its end, far above the exact-Ĉ curve, and within
    // 0.03 of its own floor (computed exactly for m = ∞).
    for x in &r {
        let e = &x.errors;
        assert!(
            e.pool_tail_slope.abs() < 0.15,
            "the curve is flat at the end"
        );
        assert!(at_max_m(&e.exact) < at_max_m(&e.bbse) / 2.5);
        for c in [&e.exact, &e.bbse, &e.em, &e.small_source] {
            assert!(c.last().unwrap().1 < c[0].1 / 1.5, "{c:?}");
        }
        for (curve, floor) in [
            (&e.bbse, x.floors.bbse),
            (&e.small_source, x.floors.small_source_bbse),
            (&e.em, x.floors.em),
        ] {
            assert!(
                (at_max_m(curve) - floor).abs() < 0.03,
                "{} vs floor {floor}",
                at_max_m(curve)
            );
        }
    }
    mentions(
        &t,
        "each curve ends within 0.03 of its own floor",
        "curves and floors",
    );
    let bbse = over(&|x| at_max_m(&x.errors.bbse));
    mentions(
        &t,
        &format!(
            "a median {:.3}, anywhere from {:.3} to {:.3}",
            bbse.median, bbse.min, bbse.max
        ),
        "the BBSE level",
    );
    let small = over(&|x| at_max_m(&x.errors.small_source));
    mentions(
        &t,
        &format!("level is a median {}", median_range(&small)),
        "the small-source level",
    );
    let higher = r
        .iter()
        .filter(|x| at_max_m(&x.errors.small_source) > at_max_m(&x.errors.bbse))
        .count();
    let words = ["none", "one", "two", "three", "four", "all"];
    mentions(
        &t,
        &format!(
            "higher than with all 539 on {} of the five splits",
            words[higher]
        ),
        "how often",
    );
    let em = over(&|x| at_max_m(&x.errors.em));
    mentions(
        &t,
        &format!("also levels off, at a median {:.3}.", em.median),
        "EM's level",
    );
    mentions(
        &t,
        &format!(
            "the floors are a median {:.3} for BBSE ({:.3}–{:.3}), {:.3} with \\\\(\\hat{{\\mathbf C}}\\\\) from {} digits ({:.3}–{:.3}), and {:.3} for EM ({:.3}–{:.3})",
            over(&|x| x.floors.bbse).median,
            over(&|x| x.floors.bbse).min,
            over(&|x| x.floors.bbse).max,
            over(&|x| x.floors.small_source_bbse).median,
            r[0].floors.small_rows,
            over(&|x| x.floors.small_source_bbse).min,
            over(&|x| x.floors.small_source_bbse).max,
            over(&|x| x.floors.em).median,
            over(&|x| x.floors.em).min,
            over(&|x| x.floors.em).max,
        ),
        "the exact floors",
    );
    // Table 7.1: on every split, each of the two finite sets raises BBSE's
    // floor when it shrinks; the small pool raises EM's floor; calibrated
    // posteriors lower it, below BBSE's.
    for x in &r {
        let f = &x.floors;
        let [base, small_source, small_pool, calibrated] = &f.resplit[..] else {
            panic!("four settings expected, got {}", f.resplit.len());
        };
        assert!(!base.tempered && calibrated.tempered);
        assert_eq!(small_source.held_rows, f.small_rows);
        assert_eq!(small_pool.target_rows, f.small_rows);
        assert!(
            small_source.bbse > base.bbse && small_pool.bbse > base.bbse,
            "{f:?}"
        );
        assert_eq!(small_source.em, base.em, "EM uses no Ĉ");
        assert!(small_pool.em > base.em && calibrated.em < base.em, "{f:?}");
        assert!(calibrated.em < base.bbse, "{f:?}");
        assert_eq!(f.resplits, 20);
    }
    mentions(
        &t,
        "Each of these four comparisons goes the same way on every one of the five splits",
        "per split",
    );
    let setting = |i: usize, f: fn(&stable_learning::shift::label::FloorSetting) -> f64| {
        over(&|x| f(&x.floors.resplit[i])).median
    };
    let others = s0.held_out_size + s0.pool_size;
    mentions(
        &t,
        &format!("from a fixed pool of {} digits", s0.pool_size),
        "the pool's size",
    );
    mentions(
        &t,
        &format!("averages the floors over 20 random re-splits of the {others} digits"),
        "the re-splits",
    );
    mentions(
        &t,
        &format!(
            "the mean over 20 random re-splits of the {others} digits a classifier never trained on into {} held-out digits and a pool of {}, with all or {} of each",
            s0.held_out_size, s0.pool_size, r[0].floors.small_rows
        ),
        "Table 7.1's caption",
    );
    mentions(
        &t,
        &format!(
            "floor from {:.3} to {:.3}; shrinking the pool to {} raises it to {:.3}",
            setting(0, |f| f.bbse),
            setting(1, |f| f.bbse),
            r[0].floors.small_rows,
            setting(2, |f| f.bbse)
        ),
        "BBSE's floors",
    );
    mentions(
        &t,
        &format!(
            "EM's floor rises from {:.3} to {:.3} with the smaller pool, and falls to {:.3}",
            setting(0, |f| f.em),
            setting(2, |f| f.em),
            setting(3, |f| f.em)
        ),
        "EM's floors",
    );

    // Table 7.2, split by split.
    let rows = |i: usize| r.iter().map(move |x| &x.accuracy.rows[i]);
    let count = |i: usize, holds: fn(&stable_learning::shift::label::AccuracyRow) -> bool| {
        rows(i).filter(|a| holds(a)).count()
    };
    let med = |i: usize, f: fn(&stable_learning::shift::label::AccuracyRow) -> f64| {
        Spread::of(rows(i).map(f).collect()).median
    };
    assert_eq!(r[0].accuracy.rows[1].shift, "tweak-one, ρ = 0.9");
    assert_eq!(r[0].accuracy.rows[2].shift, "Dirichlet, α = 0.1");
    // Dirichlet α = 0.1: correcting with the true weights helps on every split.
    assert_eq!(count(2, |a| a.true_weights > a.uncorrected), 5);
    mentions(
        &t,
        &format!(
            "lifts the accuracy on every split, from a median {:.3} to {:.3}, and the estimated weights come close ({:.3} with BBSE's, {:.3} with EM's)",
            med(2, |a| a.uncorrected),
            med(2, |a| a.true_weights),
            med(2, |a| a.bbse_weights),
            med(2, |a| a.em_weights)
        ),
        "the Dirichlet 0.1 row",
    );
    // Tweak-one: the uncorrected classifier, and the correction that hurts.
    mentions(
        &t,
        &format!(
            "uncorrected it is right on a median {:.3} of the target at \\\\(\\rho = 0.5\\\\) and {:.3} at \\\\(\\rho = 0.9\\\\)",
            med(0, |a| a.uncorrected),
            med(1, |a| a.uncorrected)
        ),
        "the uncorrected tweak-one rows",
    );
    assert_eq!(count(0, |a| a.true_weights < a.uncorrected), 5);
    let hurt = count(1, |a| a.true_weights < a.uncorrected);
    mentions(
        &t,
        &format!(
            "with the true weights on every split at \\\\(\\rho = 0.5\\\\) ({:.3}) and on {} of five at \\\\(\\rho = 0.9\\\\) ({:.3})",
            med(0, |a| a.true_weights),
            words[hurt],
            med(1, |a| a.true_weights)
        ),
        "the correction that hurts",
    );
    // Calibrating first improves the true-weight correction on every split
    // at ρ = 0.9 and on four at ρ = 0.5, without beating no correction.
    assert_eq!(count(1, |a| a.calibrated_true_weights > a.true_weights), 5);
    assert_eq!(count(0, |a| a.calibrated_true_weights > a.true_weights), 4);
    assert!(med(0, |a| a.calibrated_true_weights) < med(0, |a| a.uncorrected));
    assert!(med(1, |a| a.calibrated_true_weights) < med(1, |a| a.uncorrected));
    mentions(
        &t,
        &format!(
            "on all five splits at \\\\(\\rho = 0.9\\\\) ({:.3}) and on four at \\\\(\\rho = 0.5\\\\) ({:.3})",
            med(1, |a| a.calibrated_true_weights),
            med(0, |a| a.calibrated_true_weights)
        ),
        "the calibrated correction",
    );
    // EM's weights beat BBSE's at ρ = 0.9 on every split.
    assert_eq!(count(1, |a| a.em_weights > a.bbse_weights), 5);
    mentions(
        &t,
        &format!(
            "each has about {:.0} samples in 2000",
            r[0].accuracy.rare_class_expected_count
        ),
        "the rare classes' count",
    );
    mentions(
        &t,
        &format!(
            "sharpening its probabilities to τ = {}",
            over(&|x| x.floors.fitted_tau).median
        ),
        "τ",
    );
    mentions(
        &t,
        &format!(
            "with a median τ of {:.2}",
            over(&|x| x.floors.resplit_mean_tau).median
        ),
        "Table 7.1's τ",
    );

    // Breaking the assumption: on every split the error grows several-fold
    // with the scanner's noise, and the m = ∞ limit is as large.
    for x in &r {
        let b = &x.broken;
        let last = b.strengths.len() - 1;
        assert_eq!(b.strengths[last], 0.6);
        assert!(
            b.bbse[last].1 > 2.0 * b.bbse[0].1 && b.em[last].1 > 1.8 * b.em[0].1,
            "{b:?}"
        );
        assert!(
            (b.bbse_limit - b.bbse[last].1).abs() < 0.1 * b.bbse[last].1,
            "{b:?}"
        );
    }
    let b0 = over(&|x| x.broken.bbse[0].1);
    let last = r[0].broken.strengths.len() - 1;
    let b1 = over(&|x| x.broken.bbse[last].1);
    let e0 = over(&|x| x.broken.em[0].1);
    let e1 = over(&|x| x.broken.em[last].1);
    mentions(
        &t,
        &format!("a median {:.3} for BBSE", b0.median),
        "BBSE without noise",
    );
    mentions(
        &t,
        &format!(
            "it is {:.3} ({:.3}–{:.3} over the splits), larger on every split",
            b1.median, b1.min, b1.max
        ),
        "BBSE with noise",
    );
    mentions(
        &t,
        &format!(
            "as for Table 7.1, it is a median {:.3}",
            over(&|x| x.broken.bbse_limit).median
        ),
        "the limit",
    );
    mentions(
        &t,
        &format!(
            "from a median {:.3} to {:.3}, on every split",
            e0.median, e1.median
        ),
        "EM with noise",
    );
    // Figure 7.3's alt text: flat to k = 0.3, then growing, to about 2.0
    // and 1.3.
    let mid = curve_median(&r, 4, true);
    assert!((mid - b0.median).abs() < 0.2, "{mid}");
    assert!((b1.median - 2.0).abs() < 0.1 && (e1.median - 1.3).abs() < 0.1);
}

/// The median over splits of BBSE's (or EM's) broken-assumption error at
/// strength index `i`.
fn curve_median(r: &[SplitResults], i: usize, bbse: bool) -> f64 {
    let pick = |x: &SplitResults| {
        if bbse {
            x.broken.bbse[i].1
        } else {
            x.broken.em[i].1
        }
    };
    Spread::of(r.iter().map(pick).collect()).median
}

/// Each experiment draws from its own stream: the error-against-samples
/// figure's `--max-m` leaves every other figure and table byte for byte as
/// it was.
#[test]
fn one_experiments_flags_leave_the_others_untouched() {
    let out = temp_dir("label-streams");
    let run = |name: &str, args: &[&str]| {
        let mut all = vec!["--trials", "3", "--seeds", "2"];
        all.extend_from_slice(args);
        common::files_of("label_shift", &out.join(name), &all)
    };
    let base = run("base", &["--max-m", "1000"]);
    let more = run("more", &["--max-m", "2000"]);
    for file in ["weights.svg", "accuracy.md", "broken.svg", "floors.md"] {
        assert!(base(file) == more(file), "--max-m changed {file}");
    }
    assert!(base("error_vs_m.svg") != more("error_vs_m.svg"));
}

/// A `--small-source` in its range can still leave too few rows for an
/// invertible Ĉ (at seed 42, the first 20 held-out rows give a singular
/// one). That is a result, not an error: the run finishes, writes every
/// file, and says in the text and in Figure 7.2 that BBSE had no estimate.
#[test]
fn a_singular_small_source_is_reported_as_a_result() {
    let out = temp_dir("label-small-source");
    let dir = out.join("figures");
    let args = ["--small-source", "20", "--trials", "3", "--max-m", "200"];
    let run = run_example_into("label_shift", &dir, &args);
    let stderr = String::from_utf8_lossy(&run.stderr);
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(
        stdout.contains("with 20 rows Ĉ is singular on every split and BBSE has no estimate"),
        "{stdout}"
    );
    assert!(stdout.contains("none (singular) from 20"), "{stdout}");
    let written = std::fs::read_dir(&dir).map_or(0, |d| d.count());
    assert_eq!(written, 6, "{stdout}");
    let figure = std::fs::read_to_string(dir.join("error_vs_m.svg")).unwrap();
    assert!(
        figure.contains("Ĉ from 20 held-out rows is singular on 5 of 5 splits"),
        "no note in Figure 7.2"
    );
}

/// Three classes with 1-D Gaussian features N(0, 1), N(2, 1), N(4, 1), a
/// classifier that thresholds at 1 and 3, and exact (calibrated) posteriors.
fn draw(labels: &[usize], rng: &mut StdRng) -> Vec<f64> {
    labels
        .iter()
        .map(|&y| 2.0 * y as f64 + rng.sample::<f64, _>(StandardNormal))
        .collect()
}

fn classify(x: f64) -> usize {
    if x < 1.0 {
        0
    } else if x < 3.0 {
        1
    } else {
        2
    }
}

fn labels_with(priors: &[f64], n: usize, rng: &mut StdRng) -> Vec<usize> {
    (0..n)
        .map(|_| {
            let u = rng.random::<f64>();
            if u < priors[0] {
                0
            } else if u < priors[0] + priors[1] {
                1
            } else {
                2
            }
        })
        .collect()
}

/// Mean weight error of BBSE and EM over `trials` target samples of size m.
fn errors(m: usize, trials: usize, rng: &mut StdRng) -> (f64, f64) {
    let p = [1.0 / 3.0; 3];
    let q = [0.6, 0.3, 0.1];
    // 200000 held-out source samples: Ĉ is accurate to ~0.001 per entry.
    let ys = labels_with(&p, 200_000, rng);
    let xs = draw(&ys, rng);
    let pred: Vec<usize> = xs.iter().map(|&x| classify(x)).collect();
    let c = confusion_joint(&pred, &ys, 3);
    let p_hat = class_frequencies(&ys, 3);
    let truth = Array1::from(q.to_vec()) / &p_hat;
    let (mut eb, mut ee) = (0.0, 0.0);
    for _ in 0..trials {
        let yt = labels_with(&q, m, rng);
        let xt = draw(&yt, rng);
        let predicted: Vec<usize> = xt.iter().map(|&x| classify(x)).collect();
        let w = bbse(c.view(), class_frequencies(&predicted, 3).view()).unwrap();
        let post = Array2::from_shape_fn((m, 3), |(i, y)| {
            let like = |k: usize| normal_pdf(xt[i], 2.0 * k as f64, 1.0) * p[k];
            like(y) / (like(0) + like(1) + like(2))
        });
        let em = em_priors(
            post.view(),
            None,
            Array1::from(p.to_vec()).view(),
            10_000,
            1e-10,
        )
        .unwrap();
        eb += weight_error(w.view(), truth.view()) / trials as f64;
        ee += weight_error((&em.priors / &p_hat).view(), truth.view()) / trials as f64;
    }
    (eb, ee)
}

#[test]
fn bbse_and_em_recover_the_true_weights_and_improve_with_samples() {
    let mut rng = StdRng::seed_from_u64(99);
    let (small_b, small_e) = errors(1_000, 20, &mut rng);
    let (large_b, large_e) = errors(100_000, 5, &mut rng);
    // Tolerance: μ̂ has entries with standard error ≤ 0.5/√m ≈ 0.0016 at
    // m = 100000; the smallest singular value of this joint Ĉ is about 0.18,
    // so ‖ŵ − w‖ ≈ √3 · 0.0016 / 0.18 ≈ 0.015. Allow 0.05 (over 3 standard
    // errors), for BBSE and for EM with exact posteriors.
    assert!(large_b < 0.05, "BBSE {large_b}");
    assert!(large_e < 0.05, "EM {large_e}");
    // 100× more target samples: 10× smaller errors in theory; at least 4×.
    assert!(small_b > 4.0 * large_b, "BBSE {small_b} → {large_b}");
    assert!(small_e > 4.0 * large_e, "EM {small_e} → {large_e}");
}
