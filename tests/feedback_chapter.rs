//! Chapter "When the model changes the world": the example's results against
//! theory and against the numbers in the prose, on the book's seed and, for
//! every claimed ordering, on seeds 1, 2 and 3.

mod common;

use common::{assert_mentions_words, chapter_words, example_json, result, temp_dir};
use stable_learning::numeric::math;
use stable_learning::shift::bandit::{BanditComparison, BanditParams};
use stable_learning::shift::feedback::{UrnParams, UrnStudy};
use stable_learning::shift::selective::{Lender, SelectiveLabels, SelectiveParams};

struct Run {
    bandit: BanditComparison,
    urn: UrnStudy,
    lending: SelectiveLabels,
}

fn run(seed: Option<u64>) -> Run {
    let out = temp_dir(&format!("feedback-chapter-{seed:?}"));
    let seed_text = seed.map(|s| s.to_string());
    let args: Vec<&str> = match &seed_text {
        Some(s) => vec!["--seed", s],
        None => vec![],
    };
    let doc = example_json("feedback", &args, &out);
    Run {
        bandit: result(&doc, "bandit"),
        urn: result(&doc, "urn"),
        lending: result(&doc, "selective_labels"),
    }
}

/// The regret of a policy's second half over its first, median over plays.
fn halves(b: &BanditComparison, policy: usize) -> f64 {
    let p = &b.policies[policy];
    let half = b.steps.len() / 2;
    let ratios: Vec<f64> = (0..p.regret[0].values.len())
        .map(|r| {
            let (mid, end) = (p.regret[half - 1].values[r], p.final_regret().values[r]);
            (end - mid) / mid
        })
        .collect();
    stable_learning::numeric::stats::median(&ratios)
}

/// The orderings the chapter claims, for one seed.
fn check_orderings(r: &Run, seed: &str) {
    // Bandit: ε-greedy > UCB1 > Thompson on every play; ε-greedy linear,
    // the others flattening.
    let p = &r.bandit.policies;
    assert_eq!(
        [p[0].policy.name(), p[1].policy.name(), p[2].policy.name()],
        ["ε-greedy", "UCB1", "Thompson"]
    );
    assert!(p[0].final_regret().min > p[1].final_regret().max, "{seed}");
    assert!(p[1].final_regret().min > p[2].final_regret().max, "{seed}");
    assert!(
        halves(&r.bandit, 0) > 0.8,
        "{seed}: {}",
        halves(&r.bandit, 0)
    );
    assert!(
        halves(&r.bandit, 1) < 0.3,
        "{seed}: {}",
        halves(&r.bandit, 1)
    );
    assert!(
        halves(&r.bandit, 2) < 0.15,
        "{seed}: {}",
        halves(&r.bandit, 2)
    );
    // Urn: weighted within 0.03 of the fair share in every city; counting
    // misses it by more than 0.1 in the median city, in every case.
    for c in &r.urn.cases {
        assert!(
            c.error_weighted.max < 0.03,
            "{seed}: {} {:?}",
            c.rate_a,
            c.error_weighted
        );
        assert!(
            c.error_discovered.median > 0.1,
            "{seed}: {} {:?}",
            c.rate_a,
            c.error_discovered
        );
    }
    // Lending: the error where each lender rejects is ordered, and the
    // weighted explorer makes more than the accept-only lender.
    let l = &r.lending;
    let err = |lender: Lender| l.lender(lender).error_rejected.last().unwrap().median;
    assert!(
        err(Lender::AcceptOnly) > err(Lender::Explore)
            && err(Lender::Explore) > err(Lender::Weighted),
        "{seed}: {} {} {}",
        err(Lender::AcceptOnly),
        err(Lender::Explore),
        err(Lender::Weighted)
    );
    assert!(
        l.lender(Lender::Weighted).total_profit.median
            > l.lender(Lender::AcceptOnly).total_profit.median,
        "{seed}"
    );
}

#[test]
fn feedback_example_matches_theory_and_prose() {
    let book = run(None);
    let text = chapter_words("feedback.md");
    check_orderings(&book, "seed 42");

    // The bandit's numbers.
    let params = BanditParams::default();
    let b = &book.bandit;
    let slope = params.epsilon * b.gaps.iter().sum::<f64>() / b.gaps.len() as f64;
    assert!((b.epsilon_slope - slope).abs() < 1e-12);
    let regret = |i: usize| b.policies[i].final_regret().median;
    assert_mentions_words(
        &text,
        &format!(
            "\\\\(\\varepsilon T \\bar\\Delta = {:.0}\\\\) after 10,000 steps, and it loses a median of {:.0}",
            slope * params.steps as f64,
            regret(0)
        ),
        "ε-greedy's regret",
    );
    assert_mentions_words(
        &text,
        &format!("a median of {:.0} and {:.0}", regret(1), regret(2)),
        "UCB1's and Thompson's regret",
    );
    // "a fifth and a tenth"
    assert!((0.15..0.25).contains(&halves(b, 1)) && (0.05..0.15).contains(&halves(b, 2)));

    // The urn's numbers.
    let urn = &book.urn;
    assert_eq!(urn.cases.len(), UrnParams::default().rates_a.len());
    let case = |rate: f64| urn.cases.iter().find(|c| c.rate_a == rate).unwrap();
    let shown = case(0.3);
    assert!((shown.fair_share - 0.6).abs() < 1e-12);
    assert!(
        shown.final_discovered.max > 0.9995,
        "{:?}",
        shown.final_discovered
    );
    assert_mentions_words(
        &text,
        &format!(
            "the median city sends it {:.1}% of them, and the cities range from {:.1}% to all of them",
            100.0 * shown.final_discovered.median,
            100.0 * shown.final_discovered.min
        ),
        "the runaway at 0.3 against 0.2",
    );
    let close = case(0.22);
    let wrong = close
        .final_discovered
        .values
        .iter()
        .filter(|&&x| x < 0.5)
        .count();
    assert!(wrong > 0);
    assert_mentions_words(
        &text,
        &format!(
            "ends with most of the patrols in {wrong} of {} cities",
            close.final_discovered.values.len()
        ),
        "the close-rate runaway to the wrong region",
    );
    let equal = case(0.2);
    assert_mentions_words(
        &text,
        &format!(
            "anywhere from {:.1}% to {:.1}%",
            100.0 * equal.final_discovered.min,
            100.0 * equal.final_discovered.max
        ),
        "the Pólya urn",
    );

    // The lenders' numbers.
    let l = &book.lending;
    let params = SelectiveParams::default();
    assert!((l.threshold - 0.5).abs() < 1e-12);
    assert_mentions_words(
        &text,
        &format!(
            "{:.0}% of applicants are good in that sense",
            100.0 * l.good_share
        ),
        "the good share",
    );
    // A quarter of the good applicants are at the low end (x < 0).
    let (mut low, mut all) = (0.0, 0.0);
    for i in 0..=12_000 {
        let x = -6.0 + 0.001 * i as f64;
        if params.repayment(x) > l.threshold {
            let density = math::exp(-x * x / 2.0);
            all += density;
            if x < 0.0 {
                low += density;
            }
        }
    }
    assert!((low / all - 0.25).abs() < 0.03, "{}", low / all);
    let at = l.grid.iter().position(|&x| (x + 2.0).abs() < 1e-9).unwrap();
    let accept = l.lender(Lender::AcceptOnly);
    let weighted = l.lender(Lender::Weighted);
    let last = |v: &[stable_learning::numeric::stats::Spread]| v.last().unwrap().median;
    for (needle, what) in [
        (
            format!(
                "its estimate at \\\\(x = -2\\\\) ends at {:.3}, where the truth is {:.3}",
                accept.final_estimate[at].median, l.truth[at]
            ),
            "accept-only at x = −2",
        ),
        (
            format!(
                "stays at {:.3} round after round",
                last(&accept.error_rejected)
            ),
            "accept-only's error",
        ),
        (
            format!(
                "It accepts only {:.3} of the good applicants",
                last(&accept.good_accepted)
            ),
            "accept-only's good share",
        ),
        (
            format!(
                "falls to {:.3}, and to {:.3} with the weights",
                last(&l.lender(Lender::Explore).error_rejected),
                last(&weighted.error_rejected)
            ),
            "the explorers' errors",
        ),
        (
            format!(
                "a median of {:.0} over the 20 rounds",
                last(&weighted.exploration_cost)
            ),
            "the cost of exploring",
        ),
        (
            format!(
                "makes {:.3} per applicant, against {:.3} for the accept-only lender and {:.3} for one that knew",
                weighted.total_profit.median, accept.total_profit.median, l.oracle_profit
            ),
            "the profits",
        ),
    ] {
        assert_mentions_words(&text, &needle, what);
    }
    // "about a quarter of the good applicants" turned away.
    assert!((1.0 - last(&accept.good_accepted) - 0.25).abs() < 0.05);
}

#[test]
fn the_orderings_hold_on_other_seeds() {
    for seed in [1, 2, 3] {
        check_orderings(&run(Some(seed)), &format!("seed {seed}"));
    }
}
