//! Large matrices that are reused instead of returned to the operating
//! system: the memory allocator the book's programs use.
//!
//! A training step of Glorot and Bengio's network allocates four fresh
//! 1000 × 1000 gradient matrices (8 MB each) and frees them at the end of
//! the step. The C library returns blocks that large to the operating
//! system when they are freed and asks for fresh ones at the next step, and
//! the operating system zeroes every 4 KiB page at its first touch: at a
//! minibatch of 10 that costs about as much as the arithmetic. [`Recycle`]
//! keeps freed blocks of [`LARGE`] bytes or more (up to [`KEPT`] bytes in all)
//! and hands them back out when a block of the same size is asked for, which
//! a training loop does at every step. Where a block comes from never changes
//! a result, only how long it takes to get it.
//!
//! The library declares it as the global allocator, so the examples, tests
//! and benches all run with it.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::Mutex;

/// Freed blocks of at least this many bytes (256 KiB) are kept for reuse.
pub const LARGE: usize = 256 << 10;

/// At most this many bytes (256 MiB) of freed blocks are kept.
pub const KEPT: usize = 256 << 20;

/// The system allocator, keeping freed large blocks for reuse.
pub struct Recycle;

/// The kept blocks: (address, layout), and their total size.
struct Kept {
    blocks: Vec<(usize, Layout)>,
    bytes: usize,
}

/// Kept blocks, shared by all threads. A `Vec` with a fixed capacity
/// allocated once, so that keeping a block never allocates.
static KEPT_BLOCKS: Mutex<Kept> = Mutex::new(Kept {
    blocks: Vec::new(),
    bytes: 0,
});

/// At most this many blocks are kept.
const SLOTS: usize = 64;

impl Recycle {
    /// A kept block of exactly `layout`, if there is one.
    fn take(layout: Layout) -> Option<*mut u8> {
        let mut kept = KEPT_BLOCKS.lock().ok()?;
        let i = kept.blocks.iter().rposition(|&(_, l)| l == layout)?;
        let (ptr, _) = kept.blocks.swap_remove(i);
        kept.bytes -= layout.size();
        Some(ptr as *mut u8)
    }

    /// Keeps the freed block at `ptr`, returning the oldest kept blocks to
    /// the system to make room; false if it cannot be kept.
    fn keep(ptr: *mut u8, layout: Layout) -> bool {
        if layout.size() > KEPT {
            return false;
        }
        let Ok(mut kept) = KEPT_BLOCKS.try_lock() else {
            return false;
        };
        while kept.bytes + layout.size() > KEPT || kept.blocks.len() == SLOTS {
            let (old, old_layout) = kept.blocks.remove(0);
            kept.bytes -= old_layout.size();
            // SAFETY: a kept block, from `System` with `old_layout`, and no
            // longer in the list.
            unsafe { System.dealloc(old as *mut u8, old_layout) };
        }
        if kept.blocks.capacity() < SLOTS {
            // The first block kept: allocate the slots from the system (this
            // lock is held, so a nested call of `keep` cannot reach here).
            kept.blocks.reserve_exact(SLOTS);
        }
        kept.bytes += layout.size();
        kept.blocks.push((ptr as usize, layout));
        true
    }
}

// SAFETY: every block comes from `System` with its caller's layout and goes
// back to `System` with that layout, or is kept and handed out again only
// for exactly the same layout (so it is as large and as aligned as asked),
// and only once: a block is in the kept list or in use, never both.
unsafe impl GlobalAlloc for Recycle {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE
            && let Some(ptr) = Self::take(layout)
        {
            return ptr;
        }
        // SAFETY: forwarded with the caller's valid, non-zero-size layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if layout.size() >= LARGE
            && let Some(ptr) = Self::take(layout)
        {
            // SAFETY: a kept block of `layout.size()` bytes, now ours.
            unsafe { std::ptr::write_bytes(ptr, 0, layout.size()) };
            return ptr;
        }
        // SAFETY: as in `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if layout.size() >= LARGE && Self::keep(ptr, layout) {
            return;
        }
        // SAFETY: `ptr` came from `System` (directly or via the kept list)
        // with `layout`.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: `ptr` is live with `layout` and from `System`, as
        // `System.realloc` requires; kept blocks are not involved.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_large_block_is_reused_zeroed_when_asked() {
        let n = LARGE / 8 + 3;
        let first = vec![1.5f64; n];
        let address = first.as_ptr();
        drop(first);
        // Tests run in parallel and may take the block first; try a few times.
        let reused = (0..100).any(|_| {
            let again = vec![0.0f64; n];
            assert!(again.iter().all(|&z| z == 0.0), "not zeroed");
            again.as_ptr() == address
        });
        assert!(reused || cfg!(miri), "the freed block was not reused");
        let mut grown = vec![2.5f64; n];
        grown.extend([3.5; 10]);
        grown.truncate(5);
        grown.shrink_to_fit();
        assert_eq!(grown, vec![2.5; 5]);
    }
}
