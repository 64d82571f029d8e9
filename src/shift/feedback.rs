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

use crate::numeric::random::{repeat, stream};
use crate::numeric::stats::Spread;
use crate::{Error, Range};

/// How discovered incidents update the urn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Update {
    /// One ball per discovered incident: the runaway loop.
    Discovered,
    /// Each discovery weighted by 1 / (probability a patrol was there).
    InverseProbability,
}

// ANCHOR: patrol_urn
/// Runs the patrol urn for `days` days from `start` balls for A and B, with
/// true rates `rates`; returns A's share of the patrols' probability at the
/// start and after every day (`days + 1` values).
///
/// # Panics
///
/// If a rate is not a probability or a start weight is not positive and
/// finite ([`urn_study`] checks its parameters first).
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
// ANCHOR_END: patrol_urn

/// The patrol-urn study's parameters; `Default` gives the book's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UrnParams {
    /// Region B's true incident rate (per patrol-day).
    pub rate_b: f64,
    /// Region A's true rates, one case each.
    pub rates_a: Vec<f64>,
    /// Days each city runs.
    pub days: usize,
    /// Cities (independent runs) per case and update rule.
    pub cities: usize,
    /// Days at which the shares are kept (evenly spaced, plus day 0).
    pub points: usize,
}

impl UrnParams {
    /// Allowed rates.
    pub const RATE: Range = Range::closed(0.01, 1.0);
    /// Allowed numbers of rates of A.
    pub const CASES: Range = Range::whole(1, 20);
    /// Allowed numbers of days.
    pub const DAYS: Range = Range::whole(10, 10_000_000);
    /// Allowed numbers of cities.
    pub const CITIES: Range = Range::whole(1, 1000);
    /// Allowed numbers of kept days.
    pub const POINTS: Range = Range::whole(1, 10_000);

    /// Checks every parameter against its range.
    pub fn check(&self) -> Result<(), Error> {
        Self::RATE.check("rate_b", self.rate_b)?;
        Self::CASES.check_whole("rates_a (how many)", self.rates_a.len())?;
        for &r in &self.rates_a {
            Self::RATE.check("rates_a", r)?;
        }
        Self::DAYS.check_whole("days", self.days)?;
        Self::CITIES.check_whole("cities", self.cities)?;
        Self::POINTS.check_whole("points", self.points)?;
        Ok(())
    }

    /// The kept days: 0 and `points` evenly spaced days up to `days`.
    pub fn kept_days(&self) -> Vec<usize> {
        let mut kept: Vec<usize> = (0..=self.points)
            .map(|i| i * self.days / self.points)
            .collect();
        kept.dedup();
        kept
    }
}

impl Default for UrnParams {
    fn default() -> Self {
        UrnParams {
            rate_b: 0.2,
            rates_a: vec![0.2, 0.22, 0.25, 0.3, 0.4],
            days: 100_000,
            cities: 30,
            points: 100,
        }
    }
}

/// One pair of true rates, run by both update rules in every city.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UrnCase {
    /// Region A's true rate.
    pub rate_a: f64,
    /// The share of patrols A deserves: `λ_A / (λ_A + λ_B)`.
    pub fair_share: f64,
    /// A's share at each kept day, one vector per city: discovered
    /// incidents.
    pub discovered: Vec<Vec<f64>>,
    /// The same with inverse-probability weights.
    pub weighted: Vec<Vec<f64>>,
    /// A's final share over the cities, discovered incidents.
    pub final_discovered: Spread,
    /// A's final share over the cities, weighted.
    pub final_weighted: Spread,
    /// `|final share − fair share|` over the cities, discovered incidents.
    pub error_discovered: Spread,
    /// The same, weighted.
    pub error_weighted: Spread,
}

/// The patrol urn for every pair of rates, in many cities.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UrnStudy {
    /// Region B's true rate.
    pub rate_b: f64,
    /// The days at which the shares were kept.
    pub days: Vec<usize>,
    /// One case per rate of A.
    pub cases: Vec<UrnCase>,
}

// ANCHOR: urn_study
/// Runs the patrol urn from one ball each for every rate of A, in
/// `cities` cities, with each update rule: city c of case k with update u
/// (0 discovered, 1 weighted) draws from
/// `stream(seed, "patrol_urn", 2·(k·cities + c) + u)`, all in parallel.
pub fn urn_study(params: &UrnParams, seed: u64) -> Result<UrnStudy, Error> {
    params.check()?;
    let kept = params.kept_days();
    let (cities, cases) = (params.cities, params.rates_a.len());
    let runs = repeat(2 * cities * cases, |j| {
        let rate_a = params.rates_a[j / (2 * cities)];
        let update = if j % 2 == 0 {
            Update::Discovered
        } else {
            Update::InverseProbability
        };
        let rng = &mut stream(seed, "patrol_urn", j as u64);
        let share = patrol_urn(
            [rate_a, params.rate_b],
            [1.0, 1.0],
            params.days,
            update,
            rng,
        );
        kept.iter().map(|&d| share[d]).collect::<Vec<f64>>()
    });
    let cases = params
        .rates_a
        .iter()
        .enumerate()
        .map(|(k, &rate_a)| {
            let mine = &runs[2 * cities * k..2 * cities * (k + 1)];
            let discovered: Vec<Vec<f64>> = mine.iter().step_by(2).cloned().collect();
            let weighted: Vec<Vec<f64>> = mine.iter().skip(1).step_by(2).cloned().collect();
            let fair_share = rate_a / (rate_a + params.rate_b);
            let last = |runs: &[Vec<f64>]| -> Vec<f64> {
                runs.iter()
                    .map(|r| *r.last().expect("day 0 at least"))
                    .collect()
            };
            let error =
                |v: Vec<f64>| Spread::of(v.iter().map(|x| (x - fair_share).abs()).collect());
            UrnCase {
                rate_a,
                fair_share,
                final_discovered: Spread::of(last(&discovered)),
                final_weighted: Spread::of(last(&weighted)),
                error_discovered: error(last(&discovered)),
                error_weighted: error(last(&weighted)),
                discovered,
                weighted,
            }
        })
        .collect();
    Ok(UrnStudy {
        rate_b: params.rate_b,
        days: kept,
        cases,
    })
}
// ANCHOR_END: urn_study

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
