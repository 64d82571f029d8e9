//! Chapter "Breaking the symmetry": the example's results against the claims
//! and the numbers in the prose, on every seed.

mod common;

use common::{assert_mentions, chapter_words, example_json, result, temp_dir};
use stable_learning::deep::symmetry::ThreeStarts;
use stable_learning::nn::train::per_epoch;
use stable_learning::numeric::stats::{Spread, median};

#[test]
fn equal_start_stays_symmetric_and_dropout_breaks_it() {
    let out = temp_dir("symmetry-chapter");
    let doc = example_json("symmetry", &[], &out);
    let starts: ThreeStarts = result(&doc, "three_starts");
    let [equal, random, dropout] = &starts.runs[..] else {
        panic!("three runs expected, got {}", starts.runs.len());
    };
    assert_eq!(equal.start, "equal weights");
    assert!(dropout.start.contains("dropout"));
    assert_eq!(equal.test_error.values.len(), 5);
    let text = chapter_words("symmetry.md");
    let pct = |v: f64| format!("{:.1}%", 100.0 * v);
    let between = |s: &Spread| format!("between {} and {}", pct(s.min), pct(s.max));

    // Exactly zero on every seed: the hidden units are bitwise copies at
    // every step.
    assert!(equal.spreads.iter().flatten().all(|&d| d == 0.0));
    // Dropout and random starts separate the units (by order 1) on every
    // seed.
    assert!(dropout.final_spread.min > 0.5 && random.final_spread.min > 0.5);
    // One unit in disguise cannot classify ten digits, on any seed; the
    // random start can, on every seed; dropout too, on every seed.
    let (e, r, d) = (&equal.test_error, &random.test_error, &dropout.test_error);
    let one = &starts.single_unit_test_error;
    assert!(e.min > 0.5 && one.min > 0.5, "{e:?} {one:?}");
    assert!(r.max < 0.1 && d.max < 0.2, "{r:?} {d:?}");
    assert_mentions(
        &text,
        &format!("stays {}", between(e)),
        "the equal start's errors",
    );
    assert_mentions(
        &text,
        &format!("ends {}", between(one)),
        "the control's errors",
    );
    assert_mentions(
        &text,
        &format!("32 units end {}", between(r)),
        "the random start's errors",
    );
    assert_mentions(
        &text,
        &format!(
            "median of {} ({:.1}–{})",
            pct(d.median),
            100.0 * d.min,
            pct(d.max)
        ),
        "the dropout run's test error",
    );
    assert_mentions(
        &text,
        &format!("close to the random start's {}", pct(r.median)),
        "the random start's median",
    );
    let worst = d.values.iter().filter(|&&v| v > 0.1).count();
    assert_eq!(worst, 1, "the chapter names one bad dropout seed: {d:?}");
    assert_mentions(
        &text,
        &format!("it ends at {}", pct(d.max)),
        "dropout's worst seed",
    );
    // When dropout's units first differ by more than 1.
    let steps: Vec<f64> = dropout
        .steps_to_spread_1
        .iter()
        .map(|s| s.expect("dropout separates the units on every seed") as f64)
        .collect();
    let steps = Spread::of(steps);
    assert_mentions(
        &text,
        &format!(
            "median of {} steps ({} to {} over the seeds)",
            steps.median, steps.min, steps.max
        ),
        "when dropout's units differ by 1",
    );
    assert_mentions(
        &text,
        &format!(
            "median of {:.2} against {:.2}",
            dropout.final_spread.median, random.final_spread.median
        ),
        "the final spreads",
    );
    // Figure 2.2's alt text: medians per epoch.
    let med = |run: &stable_learning::deep::symmetry::StartRun, epoch: usize| {
        per_epoch(&run.histories, |s| s.test_error)[epoch].1.median
    };
    assert!((med(equal, 5) - 0.9).abs() < 0.03);
    assert!((0.6..0.76).contains(&med(equal, 30)));
    assert!((med(random, 2) - 0.1).abs() < 0.02);
    assert!((med(dropout, 30) - 0.04).abs() < 0.01);
    // Figure 2.1's alt text: the random start's spread at step 0.
    let at0 = median(&random.spreads.iter().map(|s| s[0]).collect::<Vec<_>>());
    assert!((at0 - 0.7).abs() < 0.05, "{at0}");
    // 1348 training digits in batches of 32: 43 steps per epoch, 30 epochs.
    assert_eq!(starts.train_size, 1348);
    assert_eq!(equal.spreads[0].len(), 1 + 43 * 30);
    assert_mentions(
        &text,
        &format!("one of the {} steps", 43 * 30),
        "the number of steps",
    );
}

/// The figures do not depend on how many threads trained the seeds.
#[test]
fn one_thread_and_many_give_the_same_figures() {
    let out = temp_dir("symmetry-threads");
    let args = ["--epochs", "2", "--seeds", "3"];
    let files = |threads: &str| {
        let dir = out.join(threads);
        let mut all = vec!["--threads", threads];
        all.extend_from_slice(&args);
        common::run_example_into("symmetry", &dir, &all);
        ["symmetry.md", "spread.svg", "test_error.svg"].map(|f| std::fs::read(dir.join(f)).unwrap())
    };
    assert!(files("1") == files("4"));
}
