//! When the model changes the world: a runaway feedback loop (Ensign,
//! Friedler, Neville, Scheidegger & Venkatasubramanian 2018).
//!
//! Two regions have true incident rates `λ_A` and `λ_B`. Each day one patrol
//! goes to a region chosen in proportion to the incidents *discovered so
//! far* there (an urn with one ball per discovered incident), and discovers
//! an incident with probability the region's rate — but only where it goes.
//! The data the allocation learns from is produced by the allocation itself.
//!
//! With `x` the share of the urn for A, a day adds a ball for A with
//! probability `x λ_A` and one for B with `(1 − x) λ_B`, so `x` drifts at a
//! rate proportional to `x (1 − x)(λ_A − λ_B)`: towards the region with the
//! higher rate, however slightly higher, until it has every patrol — slowly
//! near either end, so early luck can hold the patrols in the other region
//! for a long time — and with equal rates the share wanders to a random
//! limit (a Pólya urn). The correction
//! weighs each discovery by the inverse of the probability that a patrol was
//! there to see it (`1/x` in A): then each day adds `λ_A` balls for A and
//! `λ_B` for B on average, and the share settles at `λ_A / (λ_A + λ_B)`.

use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

/// How discovered incidents update the urn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Update {
    /// One ball per discovered incident: the runaway loop.
    Discovered,
    /// Each discovery weighted by 1 / (probability a patrol was there).
    InverseProbability,
}

/// Runs the patrol urn for `days` days from `start` balls for A and B, with
/// true rates `rates`; returns A's share of the patrols' probability at the
/// start and after every day (`days + 1` values).
pub fn patrol_urn(
    rates: [f64; 2],
    start: [f64; 2],
    days: usize,
    update: Update,
    rng: &mut impl Rng,
) -> Vec<f64> {
    assert!(
        rates.iter().all(|r| (0.0..=1.0).contains(r)),
        "rates are probabilities"
    );
    assert!(
        start.iter().all(|&b| b > 0.0 && b.is_finite()),
        "every region starts with some weight"
    );
    let mut balls = start;
    let mut share = Vec::with_capacity(days + 1);
    share.push(balls[0] / (balls[0] + balls[1]));
    for _ in 0..days {
        let x = balls[0] / (balls[0] + balls[1]);
        let region = usize::from(rng.random::<f64>() >= x);
        if rng.random::<f64>() < rates[region] {
            let seen_with = if region == 0 { x } else { 1.0 - x };
            balls[region] += match update {
                Update::Discovered => 1.0,
                Update::InverseProbability => 1.0 / seen_with,
            };
        }
        share.push(balls[0] / (balls[0] + balls[1]));
    }
    share
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::numeric::random::stream;

    #[test]
    fn discovered_incidents_run_away_and_weighting_corrects_them() {
        // A's rate is 0.3, B's 0.2: A deserves 60% of the patrols. Thirty
        // cities, 100 000 days each.
        let run = |update: Update, which: u64| -> Vec<f64> {
            let mut finals: Vec<f64> = (0..30)
                .map(|seed| {
                    let rng = &mut stream(seed, "urn", which);
                    *patrol_urn([0.3, 0.2], [1.0, 1.0], 100_000, update, rng)
                        .last()
                        .unwrap()
                })
                .collect();
            finals.sort_by(f64::total_cmp);
            finals
        };
        let runaway = run(Update::Discovered, 0);
        // Most cities end far from the fair share, almost all patrols in A;
        // early luck can keep a city's patrols in B for a long time.
        let far = runaway.iter().filter(|x| (*x - 0.6).abs() > 0.15).count();
        assert!(runaway[15] > 0.95 && far >= 24, "{runaway:?}");
        let fixed = run(Update::InverseProbability, 1);
        assert!((fixed[15] - 0.6).abs() < 0.01, "{fixed:?}");
        assert!(fixed.iter().all(|x| (x - 0.6).abs() < 0.06), "{fixed:?}");
    }

    #[test]
    fn equal_rates_leave_the_allocation_to_chance() {
        // A Pólya urn from one ball each: the limit is uniform on (0, 1).
        let finals: Vec<f64> = (0..40)
            .map(|seed| {
                let rng = &mut stream(seed, "urn-equal", 0);
                *patrol_urn([0.25, 0.25], [1.0, 1.0], 20_000, Update::Discovered, rng)
                    .last()
                    .unwrap()
            })
            .collect();
        let below = finals.iter().filter(|&&x| x < 0.25).count();
        let above = finals.iter().filter(|&&x| x > 0.75).count();
        // A uniform limit puts about 10 of 40 in each outer quarter.
        assert!(below >= 3 && above >= 3, "{finals:?}");
    }
}
