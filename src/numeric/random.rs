//! Random streams, and repetitions over seeds run on every core.
//!
//! **One stream per experiment and repetition.** An example runs several
//! experiments; if they all drew from one generator, changing one
//! experiment's flag (say, its number of training steps) would shift every
//! experiment after it. So each experiment draws from its own generator,
//! [`stream`]`(seed, name, repetition)`, derived from the reader's `--seed`,
//! the experiment's name and the repetition's number. The derivation is
//! fixed and documented, so a reader can reproduce any single run: one step
//! of SplitMix64 from the seed, exclusive-or the 64-bit FNV-1a hash of the
//! name's bytes; one more step from that, exclusive-or the repetition; the
//! next four SplitMix64 outputs from there (little-endian) are the 32-byte
//! seed of `rand`'s `StdRng`.
//!
//! **Repetitions in parallel.** [`repeat`] runs a function for repetitions
//! 0, 1, …, n − 1 on as many threads as the machine has cores (or as
//! [`repeat_on`] is told) and returns the results in repetition order. Each
//! repetition computes from its own stream alone, so the results are the
//! same bits whatever the number of threads.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use rand::SeedableRng;
use rand::rngs::StdRng;

/// The random generator for repetition `repetition` of experiment
/// `experiment` under the reader's seed `seed` (see the module docs for the
/// derivation).
///
/// ```
/// use rand::RngExt;
/// use stable_learning::numeric::random::stream;
/// let a: u64 = stream(42, "three_starts", 0).random();
/// let b: u64 = stream(42, "three_starts", 0).random();
/// let c: u64 = stream(42, "train_deep_relu", 0).random();
/// assert_eq!(a, b);
/// assert_ne!(a, c);
/// ```
pub fn stream(seed: u64, experiment: &str, repetition: u64) -> StdRng {
    let mut name_hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in experiment.bytes() {
        name_hash = (name_hash ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    let mut state = seed;
    let mut state = splitmix64(&mut state) ^ name_hash;
    let mut state = splitmix64(&mut state) ^ repetition;
    let mut bytes = [0u8; 32];
    for chunk in bytes.chunks_exact_mut(8) {
        chunk.copy_from_slice(&splitmix64(&mut state).to_le_bytes());
    }
    StdRng::from_seed(bytes)
}

/// One step of SplitMix64 (Steele, Lea and Flood 2014): advances `state` and
/// returns a well-mixed 64-bit value.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Runs `f(0)`, `f(1)`, …, `f(n − 1)` on every core and returns the results
/// in that order.
pub fn repeat<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
    repeat_on(threads, n, f)
}

/// [`repeat`] on exactly `threads` threads (at least one): the results do not
/// depend on `threads`.
///
/// ```
/// use stable_learning::numeric::random::repeat_on;
/// let squares = repeat_on(3, 5, |i| i * i);
/// assert_eq!(squares, vec![0, 1, 4, 9, 16]);
/// ```
pub fn repeat_on<T: Send>(threads: usize, n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    if threads == 1 {
        return (0..n).map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let value = f(i);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
                }
            });
        }
    });
    slots
        .into_iter()
        .map(|slot| {
            slot.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .expect("every repetition ran")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::RngExt;

    #[test]
    fn streams_differ_by_seed_name_and_repetition() {
        let first = |s: u64, name: &str, r: u64| -> u64 { stream(s, name, r).random() };
        let base = first(42, "a", 0);
        assert_eq!(base, first(42, "a", 0));
        assert_ne!(base, first(43, "a", 0));
        assert_ne!(base, first(42, "b", 0));
        assert_ne!(base, first(42, "a", 1));
        // Seed and repetition do not trade places: (1, rep 0) ≠ (0, rep 1).
        assert_ne!(first(1, "a", 0), first(0, "a", 1));
    }

    /// The derivation is part of the book's promise (a reader can reproduce
    /// one run): these values must never change.
    #[test]
    fn the_derivation_is_stable() {
        let got: Vec<u64> = (0..3)
            .map(|r| stream(42, "three_starts", r).random())
            .collect();
        assert_eq!(got, RECORDED.to_vec(), "{got:#x?}");
    }

    const RECORDED: [u64; 3] = [0x256ccfcd71ff8a7c, 0x0f47abc24aa66887, 0x961b30ab40bd1d7d];

    #[test]
    fn results_do_not_depend_on_the_number_of_threads() {
        let run = |threads| {
            repeat_on(threads, 13, |r| {
                let mut rng = stream(7, "sum", r as u64);
                (0..1000)
                    .map(|_| rng.random::<f64>())
                    .sum::<f64>()
                    .to_bits()
            })
        };
        let one = run(1);
        assert_eq!(one, run(2));
        assert_eq!(one, run(5));
        assert_eq!(one, run(64));
        assert_eq!(repeat_on(4, 0, |i| i), Vec::<usize>::new());
    }
}
