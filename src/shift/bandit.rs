//! Learning from the outcomes of one's own choices: the Bernoulli
//! multi-armed bandit.
//!
//! K arms pay 1 with probabilities μ₁, …, μ_K and 0 otherwise. Each step a
//! policy pulls one arm and sees *that arm's* outcome only: what it learns
//! depends on what it chose, the smallest case of a model that changes the
//! data it learns from. A policy that always pulls the arm that looks best
//! may never look again at an arm that was unlucky early on; one that keeps
//! looking everywhere pays for every look. The price is the
//! (pseudo-)regret after T steps,
//!
//! ```text
//! R(T) = Σₜ (μ* − μ_{aₜ}),   μ* = maxᵢ μᵢ,
//! ```
//!
//! the expected reward lost to pulling arm aₜ instead of the best one.
//! Three policies:
//!
//! - **ε-greedy** pulls each arm once, then with probability ε an arm chosen
//!   uniformly at random, otherwise the arm with the highest mean reward so
//!   far. Its exploration never stops, so its regret grows linearly,
//!   about ε T Δ̄ with Δ̄ = (1/K) Σᵢ (μ* − μᵢ).
//! - **UCB1** (Auer, Cesa-Bianchi & Fischer 2002) pulls each arm once, then
//!   the arm with the highest upper confidence bound x̄ᵢ + √(2 ln t / nᵢ),
//!   where nᵢ is how often arm i was pulled in the first t steps. An arm is
//!   tried again only while it might still be the best: its expected regret
//!   is at most Σ_{Δᵢ > 0} 8 ln T / Δᵢ + (1 + π²/3) Σᵢ Δᵢ.
//! - **Thompson sampling** keeps a Beta(1 + successes, 1 + failures)
//!   posterior for each arm (a uniform prior), draws one value from each and
//!   pulls the arm with the largest draw: each arm is pulled with the
//!   posterior probability that it is the best.
//!
//! No policy can do better, on every bandit, than the Lai–Robbins bound:
//! regret at least (Σ_{Δᵢ > 0} Δᵢ / KL(μᵢ, μ*)) ln T as T → ∞, with KL the
//! Kullback–Leibler divergence between Bernoulli distributions. UCB1 and
//! Thompson sampling grow logarithmically; Thompson sampling reaches the
//! bound's constant (Kaufmann, Korda & Munos 2012).

use crate::numeric::normal::StandardNormal;
use rand::{Rng, RngExt};
use serde::{Deserialize, Serialize};

use crate::numeric::math;
use crate::numeric::random::{repeat_counted, stream};
use crate::numeric::stats::Spread;
use crate::{Error, Progress, Range};

/// A Bernoulli bandit: arm i pays 1 with probability μᵢ, else 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bandit {
    means: Vec<f64>,
}

impl Bandit {
    /// A bandit with success probabilities `means`: at least two arms
    /// ([`BanditParams::ARMS`]), each in [0, 1] ([`BanditParams::ARM`]).
    ///
    /// ```
    /// use stable_learning::shift::bandit::Bandit;
    /// let b = Bandit::new(vec![0.2, 0.5]).unwrap();
    /// assert_eq!(b.best(), 0.5);
    /// assert!(Bandit::new(vec![0.2, 1.5]).is_err());
    /// assert!(Bandit::new(vec![0.2]).is_err());
    /// ```
    pub fn new(means: Vec<f64>) -> Result<Bandit, Error> {
        BanditParams::ARMS.check_whole("arms", means.len())?;
        for &m in &means {
            BanditParams::ARM.check("arm", m)?;
        }
        Ok(Bandit { means })
    }

    /// The arms' success probabilities μᵢ.
    pub fn means(&self) -> &[f64] {
        &self.means
    }

    /// The best arm's success probability μ*.
    pub fn best(&self) -> f64 {
        self.means.iter().copied().fold(f64::NEG_INFINITY, f64::max)
    }

    /// Each arm's gap Δᵢ = μ* − μᵢ (0 for the best arm).
    pub fn gaps(&self) -> Vec<f64> {
        let best = self.best();
        self.means.iter().map(|m| best - m).collect()
    }

    /// The mean gap Δ̄ = (1/K) Σᵢ Δᵢ: the regret per step of pulling an arm
    /// at random, so ε-greedy's regret grows about ε Δ̄ per step.
    pub fn mean_gap(&self) -> f64 {
        self.gaps().iter().sum::<f64>() / self.means.len() as f64
    }

    /// The Lai–Robbins constant Σ_{Δᵢ > 0} Δᵢ / KL(μᵢ, μ*): no policy's
    /// regret grows slower than this times ln T on every bandit
    /// (a suboptimal arm against a certain best arm, μ* = 1, has an infinite
    /// KL divergence and adds 0: it is told apart after one failure).
    ///
    /// ```
    /// use stable_learning::shift::bandit::Bandit;
    /// // KL(0.5, 0.6) = 0.5 ln(0.5/0.6) + 0.5 ln(0.5/0.4) ≈ 0.0204.
    /// let c = Bandit::new(vec![0.5, 0.6]).unwrap().lai_robbins();
    /// assert!((c - 0.1 / 0.020410997260).abs() < 1e-6);
    /// ```
    pub fn lai_robbins(&self) -> f64 {
        let best = self.best();
        self.means
            .iter()
            .filter(|&&m| m < best)
            .map(|&m| (best - m) / bernoulli_kl(m, best))
            .fold(0.0, |total, c| total + c)
    }

    /// UCB1's bound on its expected regret after `steps` steps (Auer et al.
    /// 2002, Theorem 1): Σ_{Δᵢ > 0} 8 ln T / Δᵢ + (1 + π²/3) Σᵢ Δᵢ.
    pub fn ucb1_bound(&self, steps: usize) -> f64 {
        let log_t = math::ln(steps.max(1) as f64);
        let gaps = self.gaps();
        let inverse: f64 = gaps.iter().filter(|&&d| d > 0.0).map(|d| 1.0 / d).sum();
        let total: f64 = gaps.iter().sum();
        8.0 * log_t * inverse + (1.0 + std::f64::consts::PI * std::f64::consts::PI / 3.0) * total
    }

    /// Pulls arm `arm`: true (reward 1) with probability μ_arm.
    pub fn pull(&self, arm: usize, rng: &mut impl Rng) -> bool {
        rng.random::<f64>() < self.means[arm]
    }
}

/// KL(Bernoulli(p) ‖ Bernoulli(q)) = p ln(p/q) + (1 − p) ln((1 − p)/(1 − q)).
fn bernoulli_kl(p: f64, q: f64) -> f64 {
    let term = |a: f64, b: f64| if a > 0.0 { a * math::ln(a / b) } else { 0.0 };
    term(p, q) + term(1.0 - p, 1.0 - q)
}

/// A rule for choosing the next arm from the outcomes seen so far.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum Policy {
    /// Each arm once, then a random arm with probability `epsilon`, else the
    /// best mean so far.
    EpsilonGreedy {
        /// The probability of a random arm, in [0, 1].
        epsilon: f64,
    },
    /// Each arm once, then the highest x̄ᵢ + √(2 ln t / nᵢ).
    Ucb1,
    /// The largest draw from each arm's Beta(1 + successes, 1 + failures).
    Thompson,
}

impl Policy {
    /// A short name: "ε-greedy", "UCB1" or "Thompson".
    pub fn name(&self) -> &'static str {
        match self {
            Policy::EpsilonGreedy { .. } => "ε-greedy",
            Policy::Ucb1 => "UCB1",
            Policy::Thompson => "Thompson",
        }
    }

    /// The name of its random stream in [`compare_policies`].
    fn stream_name(&self) -> &'static str {
        match self {
            Policy::EpsilonGreedy { .. } => "bandit_epsilon_greedy",
            Policy::Ucb1 => "bandit_ucb1",
            Policy::Thompson => "bandit_thompson",
        }
    }
}

/// One policy's play of one bandit ([`play`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Play {
    /// The cumulative regret R(t) after each step t = 1, …, T.
    pub regret: Vec<f64>,
    /// How often each arm was pulled.
    pub pulls: Vec<usize>,
}

/// The index of the largest value, ties broken uniformly at random.
fn argmax_random_ties(values: &[f64], rng: &mut impl Rng) -> usize {
    let (mut best, mut ties) = (0, 0usize);
    for (i, &v) in values.iter().enumerate() {
        if ties == 0 || v > values[best] {
            best = i;
            ties = 1;
        } else if v == values[best] {
            // Keep each of the tied indices with equal probability.
            ties += 1;
            if rng.random_range(0..ties) == 0 {
                best = i;
            }
        }
    }
    best
}

// ANCHOR: play
/// Plays `bandit` for `steps` steps with `policy`, drawing the policy's
/// choices and the arms' outcomes from `rng`; returns the cumulative regret
/// after every step and the pulls of each arm. Fails if ε is outside [0, 1].
///
/// ```
/// use rand::{SeedableRng, rngs::StdRng};
/// use stable_learning::shift::bandit::{Bandit, Policy, play};
/// let bandit = Bandit::new(vec![0.2, 0.8]).unwrap();
/// let run = play(&bandit, Policy::Ucb1, 1000, &mut StdRng::seed_from_u64(1)).unwrap();
/// assert_eq!(run.regret.len(), 1000);
/// assert!(run.pulls[1] > 900); // the better arm, almost always
/// ```
pub fn play(
    bandit: &Bandit,
    policy: Policy,
    steps: usize,
    rng: &mut impl Rng,
) -> Result<Play, Error> {
    if let Policy::EpsilonGreedy { epsilon } = policy {
        BanditParams::EPSILON.check("epsilon", epsilon)?;
    }
    let k = bandit.means.len();
    let best = bandit.best();
    let mut pulls = vec![0usize; k];
    let mut wins = vec![0usize; k];
    let mut scores = vec![0.0; k];
    let mut regret = Vec::with_capacity(steps);
    let mut total = 0.0;
    for t in 0..steps {
        let arm = match policy {
            // The first K steps try every arm once.
            Policy::EpsilonGreedy { .. } | Policy::Ucb1 if t < k => t,
            Policy::EpsilonGreedy { epsilon } => {
                if rng.random::<f64>() < epsilon {
                    rng.random_range(0..k)
                } else {
                    for i in 0..k {
                        scores[i] = wins[i] as f64 / pulls[i] as f64;
                    }
                    argmax_random_ties(&scores, rng)
                }
            }
            Policy::Ucb1 => {
                // t steps have been played so far.
                let log_t = math::ln(t as f64);
                for i in 0..k {
                    let n = pulls[i] as f64;
                    scores[i] = wins[i] as f64 / n + (2.0 * log_t / n).sqrt();
                }
                argmax_random_ties(&scores, rng)
            }
            Policy::Thompson => {
                for i in 0..k {
                    let (a, b) = (1 + wins[i], 1 + pulls[i] - wins[i]);
                    scores[i] = beta_draw(a as f64, b as f64, rng);
                }
                argmax_random_ties(&scores, rng)
            }
        };
        pulls[arm] += 1;
        wins[arm] += usize::from(bandit.pull(arm, rng));
        total += best - bandit.means[arm];
        regret.push(total);
    }
    Ok(Play { regret, pulls })
}
// ANCHOR_END: play

/// A draw from Beta(a, b) for a, b ≥ 1: X / (X + Y) with X ~ Gamma(a) and
/// Y ~ Gamma(b), from [`gamma_draw`].
fn beta_draw(a: f64, b: f64, rng: &mut impl Rng) -> f64 {
    let x = gamma_draw(a, rng);
    let y = gamma_draw(b, rng);
    x / (x + y)
}

/// A draw from Gamma(shape, 1) for shape ≥ 1 by Marsaglia and Tsang's
/// squeeze (2000): with d = shape − 1/3 and c = 1/√(9d), propose d·v for
/// v = (1 + c x)³, x ~ N(0, 1), and accept it with the test on a uniform u.
/// The logarithm is the book's own ([`math::ln`]), so the draws are the
/// same bits on every processor.
fn gamma_draw(shape: f64, rng: &mut impl Rng) -> f64 {
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x: f64 = rng.sample(StandardNormal);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u: f64 = rng.random();
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 || math::ln(u) < 0.5 * x2 + d * (1.0 - v + math::ln(v)) {
            return d * v;
        }
    }
}

/// The parameters of [`compare_policies`]; `Default` gives the book's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BanditParams {
    /// The arms' success probabilities.
    pub arms: Vec<f64>,
    /// Steps T of each play.
    pub steps: usize,
    /// ε-greedy's probability of a random arm.
    pub epsilon: f64,
    /// Independent plays of each policy.
    pub seeds: usize,
    /// Steps at which the regret curves are kept, evenly spaced up to T.
    pub points: usize,
}

impl Default for BanditParams {
    /// Four arms 0.1, 0.3, 0.5 and 0.7 (gaps 0.6, 0.4 and 0.2), 10 000
    /// steps, ε = 0.1, 20 seeds, 100 points per curve. The gaps are wide
    /// enough that 10 000 steps separate the three policies on every seed:
    /// with a gap of 0.05, UCB1's ln T / Δ² exploration still costs more
    /// than ε-greedy's ε T Δ̄ at this T.
    fn default() -> BanditParams {
        BanditParams {
            arms: vec![0.1, 0.3, 0.5, 0.7],
            steps: 10_000,
            epsilon: 0.1,
            seeds: 20,
            points: 100,
        }
    }
}

impl BanditParams {
    /// Allowed success probabilities of an arm.
    pub const ARM: Range = Range::closed(0.0, 1.0);
    /// Allowed numbers of arms.
    pub const ARMS: Range = Range::whole(2, 100);
    /// Allowed numbers of steps.
    pub const STEPS: Range = Range::whole(10, 10_000_000);
    /// Allowed probabilities of a random arm for ε-greedy.
    pub const EPSILON: Range = Range::closed(0.0, 1.0);
    /// Allowed numbers of seeds.
    pub const SEEDS: Range = Range::whole(1, 1000);
    /// Allowed numbers of points per regret curve.
    pub const POINTS: Range = Range::whole(2, 10_000);

    /// Checks every parameter against its range ([`Error::Parameter`] names
    /// the first one out of range).
    pub fn check(&self) -> Result<(), Error> {
        Bandit::new(self.arms.clone())?;
        Self::STEPS.check_whole("steps", self.steps)?;
        Self::EPSILON.check("epsilon", self.epsilon)?;
        Self::SEEDS.check_whole("seeds", self.seeds)?;
        Self::POINTS.check_whole("points", self.points)?;
        Ok(())
    }

    /// The three policies, in the book's order: ε-greedy with these
    /// parameters' ε, UCB1, Thompson sampling.
    pub fn policies(&self) -> [Policy; 3] {
        [
            Policy::EpsilonGreedy {
                epsilon: self.epsilon,
            },
            Policy::Ucb1,
            Policy::Thompson,
        ]
    }

    /// The steps at which the curves are kept: ⌈k T / points⌉ for
    /// k = 1, …, points, without repeats (the last is T).
    pub fn recorded_steps(&self) -> Vec<usize> {
        let points = self.points.max(1);
        let mut steps: Vec<usize> = (1..=points)
            .map(|k| (k * self.steps).div_ceil(points).max(1))
            .collect();
        steps.dedup();
        steps
    }
}

/// One policy over all seeds ([`compare_policies`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PolicyRegret {
    /// The policy.
    pub policy: Policy,
    /// The cumulative regret at each of [`BanditComparison::steps`], over
    /// the seeds.
    pub regret: Vec<Spread>,
    /// The mean number of pulls of each arm over the seeds.
    pub pulls: Vec<f64>,
}

impl PolicyRegret {
    /// The regret after the last step, over the seeds.
    pub fn final_regret(&self) -> &Spread {
        self.regret.last().expect("at least one recorded step")
    }
}

/// What [`compare_policies`] found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BanditComparison {
    /// The steps at which the regret curves were kept (the last is T).
    pub steps: Vec<usize>,
    /// ε-greedy, UCB1, Thompson sampling.
    pub policies: Vec<PolicyRegret>,
    /// The arms' gaps Δᵢ = μ* − μᵢ.
    pub gaps: Vec<f64>,
    /// ε Δ̄: the regret per step that ε-greedy's exploration alone costs.
    pub epsilon_slope: f64,
    /// The Lai–Robbins constant ([`Bandit::lai_robbins`]).
    pub lai_robbins: f64,
    /// UCB1's regret bound at T ([`Bandit::ucb1_bound`]).
    pub ucb1_bound: f64,
}

impl BanditComparison {
    /// The results of the policy named `name` ([`Policy::name`]).
    pub fn policy(&self, name: &str) -> Option<&PolicyRegret> {
        self.policies.iter().find(|p| p.policy.name() == name)
    }
}

// ANCHOR: compare_policies
/// ε-greedy, UCB1 and Thompson sampling on the bandit with arms `arms`, each
/// played for `steps` steps on `seeds` independent seeds, in parallel. Play
/// r of a policy draws from `stream(seed, NAME, r)` with NAME
/// "bandit_epsilon_greedy", "bandit_ucb1" or "bandit_thompson", so the
/// results are the same bits on any number of threads, and changing ε
/// leaves the other two policies' results as they were.
pub fn compare_policies(
    params: &BanditParams,
    seed: u64,
    progress: Progress,
) -> Result<BanditComparison, Error> {
    params.check()?;
    let bandit = Bandit::new(params.arms.clone())?;
    let policies = params.policies();
    let steps = params.recorded_steps();
    // For each seed and policy: the regret at the recorded steps, and the pulls.
    let plays = repeat_counted(params.seeds, params.seeds * 3, progress, |r, tick| {
        policies
            .iter()
            .map(|&policy| {
                let rng = &mut stream(seed, policy.stream_name(), r as u64);
                let run = play(&bandit, policy, params.steps, rng)?;
                tick();
                let kept: Vec<f64> = steps.iter().map(|&t| run.regret[t - 1]).collect();
                Ok((kept, run.pulls))
            })
            .collect::<Result<Vec<_>, Error>>()
    })
    .into_iter()
    .collect::<Result<Vec<_>, Error>>()?;
    let seeds = params.seeds as f64;
    let policies = policies
        .iter()
        .enumerate()
        .map(|(p, &policy)| PolicyRegret {
            policy,
            regret: (0..steps.len())
                .map(|s| Spread::of(plays.iter().map(|seed| seed[p].0[s]).collect()))
                .collect(),
            pulls: (0..bandit.means.len())
                .map(|a| plays.iter().map(|seed| seed[p].1[a] as f64).sum::<f64>() / seeds)
                .collect(),
        })
        .collect();
    Ok(BanditComparison {
        steps,
        policies,
        gaps: bandit.gaps(),
        epsilon_slope: params.epsilon * bandit.mean_gap(),
        lai_robbins: bandit.lai_robbins(),
        ucb1_bound: bandit.ucb1_bound(params.steps),
    })
}
// ANCHOR_END: compare_policies

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{SeedableRng, rngs::StdRng};

    /// The book's comparison with the curves kept at T/2 and T only.
    fn halves(base: u64) -> BanditComparison {
        let params = BanditParams {
            points: 2,
            ..BanditParams::default()
        };
        compare_policies(&params, base, &mut crate::quiet).unwrap()
    }

    #[test]
    fn regret_is_the_sum_of_the_gaps_of_the_arms_pulled() {
        let bandit = Bandit::new(vec![0.1, 0.3, 0.5, 0.7]).unwrap();
        let gaps = bandit.gaps();
        for policy in BanditParams::default().policies() {
            let run = play(&bandit, policy, 3000, &mut StdRng::seed_from_u64(5)).unwrap();
            assert_eq!(run.pulls.iter().sum::<usize>(), 3000);
            let total: f64 = run
                .pulls
                .iter()
                .zip(&gaps)
                .map(|(&n, d)| n as f64 * d)
                .sum();
            let last = *run.regret.last().unwrap();
            assert!(
                (last - total).abs() < 1e-9,
                "{}: {last} vs {total}",
                policy.name()
            );
            // Regret never decreases.
            assert!(run.regret.windows(2).all(|w| w[1] >= w[0]));
        }
        // Arms all alike: nothing to regret.
        let flat = Bandit::new(vec![0.4; 3]).unwrap();
        let run = play(&flat, Policy::Thompson, 500, &mut StdRng::seed_from_u64(1)).unwrap();
        assert_eq!(*run.regret.last().unwrap(), 0.0);
    }

    #[test]
    fn epsilon_greedy_regret_grows_linearly_ucb1_and_thompson_sublinearly() {
        for base in [0, 1, 2] {
            let c = halves(base);
            // Regret over steps T/2..T, as a multiple of that over 1..T/2.
            let ratio = |p: &PolicyRegret| {
                let (half, full) = (&p.regret[0].values, &p.regret[1].values);
                Spread::of(half.iter().zip(full).map(|(h, f)| (f - h) / h).collect())
            };
            let [greedy, ucb, thompson] = [&c.policies[0], &c.policies[1], &c.policies[2]];
            // Logarithmic growth: ln 2 / ln(T/2) ≈ 0.08 of the first half's
            // regret, plus noise (medians measured 0.17–0.19 and 0.06–0.08).
            assert!(ratio(ucb).median < 0.35, "{base}: {:?}", ratio(ucb));
            assert!(
                ratio(thompson).median < 0.35,
                "{base}: {:?}",
                ratio(thompson)
            );
            assert!(ratio(greedy).median > 0.8, "{base}: {:?}", ratio(greedy));
            // ε-greedy's second half costs ε Δ̄ T/2 on every seed: exploration
            // alone, once the greedy choice has settled on the best arm
            // (measured 0.89–1.09 of it).
            let expected = c.epsilon_slope * 5000.0;
            let second: Vec<f64> = (0..20)
                .map(|s| (greedy.regret[1].values[s] - greedy.regret[0].values[s]) / expected)
                .collect();
            let second = Spread::of(second);
            assert!(second.min > 0.8 && second.max < 1.2, "{base}: {second:?}");
            assert!((second.median - 1.0).abs() < 0.07, "{base}: {second:?}");
        }
    }

    #[test]
    fn thompson_beats_ucb1_beats_epsilon_greedy() {
        for base in [0, 1, 2] {
            let c = halves(base);
            let [greedy, ucb, thompson] = [0, 1, 2].map(|p| c.policies[p].final_regret());
            // Medians measured: 19–24, 122–133, 301–307.
            assert!(
                thompson.median < ucb.median && ucb.median < greedy.median,
                "{base}: {thompson:?} {ucb:?} {greedy:?}"
            );
            // Far apart: the ranges over the 20 seeds do not overlap.
            assert!(thompson.max < ucb.min && ucb.max < greedy.min, "{base}");
            // UCB1 stays well inside its worst-case bound.
            assert!(ucb.max < c.ucb1_bound / 3.0, "{base}: {}", c.ucb1_bound);
        }
    }

    #[test]
    fn pure_greedy_locks_out_the_best_arm() {
        // With ε = 0, a best arm that fails its first pull (probability 0.3)
        // scores 0 and is never pulled again; measured 11–15 of 40 plays.
        // With ε = 0.1 it is found on every play.
        let bandit = Bandit::new(BanditParams::default().arms).unwrap();
        for base in [0, 1, 2] {
            let locked_out = |epsilon: f64| {
                (0..40)
                    .filter(|&r| {
                        let rng = &mut stream(base, "greedy_lock", r);
                        let policy = Policy::EpsilonGreedy { epsilon };
                        play(&bandit, policy, 10_000, rng).unwrap().pulls[3] < 5000
                    })
                    .count()
            };
            let greedy = locked_out(0.0);
            assert!((6..=24).contains(&greedy), "{base}: {greedy}");
            assert_eq!(locked_out(0.1), 0, "{base}");
        }
    }

    #[test]
    fn a_seed_gives_the_same_result_and_each_play_can_be_rerun_alone() {
        let params = BanditParams {
            steps: 2000,
            seeds: 3,
            points: 4,
            ..BanditParams::default()
        };
        let a = compare_policies(&params, 9, &mut crate::quiet).unwrap();
        assert_eq!(a, compare_policies(&params, 9, &mut crate::quiet).unwrap());
        assert_ne!(a, compare_policies(&params, 10, &mut crate::quiet).unwrap());
        assert_eq!(a.steps, vec![500, 1000, 1500, 2000]);
        // Play 2 of UCB1, from its documented stream, on its own.
        let bandit = Bandit::new(params.arms.clone()).unwrap();
        let alone = play(
            &bandit,
            Policy::Ucb1,
            2000,
            &mut stream(9, "bandit_ucb1", 2),
        )
        .unwrap();
        let kept: Vec<f64> = a.steps.iter().map(|&t| alone.regret[t - 1]).collect();
        let ucb = a.policy("UCB1").unwrap();
        let recorded: Vec<f64> = ucb.regret.iter().map(|s| s.values[2]).collect();
        assert_eq!(kept, recorded);
        // Changing ε leaves UCB1 and Thompson sampling as they were.
        let other = BanditParams {
            epsilon: 0.3,
            ..params.clone()
        };
        let b = compare_policies(&other, 9, &mut crate::quiet).unwrap();
        assert_eq!(a.policies[1..], b.policies[1..]);
        assert_ne!(a.policies[0], b.policies[0]);
    }

    #[test]
    fn ties_are_broken_evenly() {
        let rng = &mut StdRng::seed_from_u64(3);
        let mut counts = [0; 4];
        for _ in 0..4000 {
            counts[argmax_random_ties(&[1.0, 2.0, 2.0, 2.0], rng)] += 1;
        }
        // About 1333 each for the three tied maxima (sd ≈ 30).
        assert_eq!(counts[0], 0);
        assert!(
            counts[1..].iter().all(|&c| (1200..1470).contains(&c)),
            "{counts:?}"
        );
        assert_eq!(argmax_random_ties(&[0.5, 3.0, 1.0], rng), 1);
    }

    #[test]
    fn out_of_range_parameters_are_refused_before_any_work() {
        assert_eq!(BanditParams::default().check(), Ok(()));
        let refused = |change: fn(&mut BanditParams), field: &str| {
            let mut params = BanditParams::default();
            change(&mut params);
            let err = compare_policies(&params, 0, &mut crate::quiet).unwrap_err();
            assert!(
                matches!(err, Error::Parameter { name, .. } if name == field),
                "{field}: {err}"
            );
        };
        refused(|p| p.arms = vec![0.5], "arms");
        refused(|p| p.arms = vec![0.5, 1.2], "arm");
        refused(|p| p.arms = vec![f64::NAN, 0.5], "arm");
        refused(|p| p.steps = 0, "steps");
        refused(|p| p.epsilon = -0.1, "epsilon");
        refused(|p| p.seeds = 0, "seeds");
        refused(|p| p.points = 0, "points");
        let bandit = Bandit::new(vec![0.2, 0.4]).unwrap();
        let greedy = Policy::EpsilonGreedy { epsilon: 1.5 };
        let err = play(&bandit, greedy, 10, &mut StdRng::seed_from_u64(0)).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Parameter {
                    name: "epsilon",
                    ..
                }
            ),
            "{err}"
        );
    }

    #[test]
    fn beta_draws_have_the_right_mean_and_variance() {
        // Beta(a, b): mean a/(a+b), variance ab/((a+b)²(a+b+1)). 20 000
        // draws give the mean to about 0.002 and the variance to a few per
        // cent.
        let rng = &mut stream(3, "beta_draws", 0);
        for (a, b) in [(1.0, 1.0), (2.0, 5.0), (30.0, 12.0)] {
            let draws: Vec<f64> = (0..20_000).map(|_| beta_draw(a, b, rng)).collect();
            let mean = draws.iter().sum::<f64>() / draws.len() as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / draws.len() as f64;
            let (m, v) = (a / (a + b), a * b / ((a + b) * (a + b) * (a + b + 1.0)));
            assert!(
                (mean - m).abs() < 0.01,
                "Beta({a}, {b}): mean {mean} vs {m}"
            );
            assert!(
                (var / v - 1.0).abs() < 0.06,
                "Beta({a}, {b}): variance {var} vs {v}"
            );
            assert!(draws.iter().all(|x| (0.0..=1.0).contains(x)));
        }
    }
}
