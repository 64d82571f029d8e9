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
//! [`set_threads`], the examples' `--threads` flag, or [`repeat_on`] say) and
//! returns the results in repetition order. Each
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

/// The number of threads [`repeat`] uses when [`set_threads`] was not called
/// (or was called with `None`): one per core.
fn all_cores() -> usize {
    std::thread::available_parallelism().map_or(1, |t| t.get())
}

/// Threads for [`repeat`]; 0 means one per core.
static THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets how many threads [`repeat`] and [`repeat_counted`] use in this
/// process (`None`: one per core). The examples' `--threads` flag calls it;
/// results do not depend on it, only the wall time does.
pub fn set_threads(threads: Option<usize>) {
    THREADS.store(threads.unwrap_or(0), Ordering::Relaxed);
}

/// The threads [`repeat`] will use (see [`set_threads`]).
pub fn threads() -> usize {
    match THREADS.load(Ordering::Relaxed) {
        0 => all_cores(),
        n => n,
    }
}

/// Runs `f(0)`, `f(1)`, …, `f(n − 1)` on [`threads`] threads (one per core
/// unless [`set_threads`] said otherwise) and returns the results in that
/// order.
pub fn repeat<T: Send>(n: usize, f: impl Fn(usize) -> T + Sync) -> Vec<T> {
    repeat_on(threads(), n, f)
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
    repeat_counted_on(threads, n, 0, &mut crate::quiet, |i, _| f(i))
}

/// [`repeat`] for repetitions that report progress: `f(i, step)` calls
/// `step()` once per unit of work, and `progress(done, total)` hears the
/// count of all repetitions together (from the calling thread, a few times a
/// second, and once at the end with `done == total`).
///
/// ```
/// use stable_learning::numeric::random::repeat_counted;
/// let mut last = (0, 0);
/// let sums = repeat_counted(4, 4 * 10, &mut |d, t| last = (d, t), |i, step| {
///     (0..10).map(|k| { step(); i * k }).sum::<usize>()
/// });
/// assert_eq!(sums, vec![0, 45, 90, 135]);
/// assert_eq!(last, (40, 40));
/// ```
pub fn repeat_counted<T: Send>(
    n: usize,
    total: usize,
    progress: crate::Progress,
    f: impl Fn(usize, &(dyn Fn() + Sync)) -> T + Sync,
) -> Vec<T> {
    repeat_counted_on(threads(), n, total, progress, f)
}

/// [`repeat_counted`] on exactly `threads` threads.
pub fn repeat_counted_on<T: Send>(
    threads: usize,
    n: usize,
    total: usize,
    progress: crate::Progress,
    f: impl Fn(usize, &(dyn Fn() + Sync)) -> T + Sync,
) -> Vec<T> {
    let threads = threads.clamp(1, n.max(1));
    let steps = AtomicUsize::new(0);
    let step = || {
        steps.fetch_add(1, Ordering::Relaxed);
    };
    if threads == 1 && total == 0 {
        return (0..n).map(|i| f(i, &step)).collect();
    }
    if cfg!(target_family = "wasm") {
        // WebAssembly in a page has no threads to spawn: the repetitions
        // run in order, with progress after each.
        let results = (0..n)
            .map(|i| {
                let value = f(i, &step);
                progress(steps.load(Ordering::Relaxed).min(total), total);
                value
            })
            .collect();
        progress(total, total);
        return results;
    }
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<T>>> = (0..n).map(|_| Mutex::new(None)).collect();
    let caller = std::thread::current();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        break;
                    }
                    let value = f(i, &step);
                    *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(value);
                }
                finished.fetch_add(1, Ordering::Release);
                caller.unpark();
            });
        }
        // The caller draws the progress while the workers compute.
        while finished.load(Ordering::Acquire) < threads {
            progress(steps.load(Ordering::Relaxed).min(total), total);
            std::thread::park_timeout(std::time::Duration::from_millis(200));
        }
    });
    progress(total, total);
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
