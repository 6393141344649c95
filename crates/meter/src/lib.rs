//! Measuring what a piece of work keeps on the heap: a global allocator that counts, per
//! thread, the bytes allocated less the bytes freed. The server installs it
//! (`#[global_allocator] static A: Meter = Meter;` in the binary) so that a team's rule is
//! refused by what it really costs once compiled (`atoll_app::rules::compile`), not by a
//! guess; where it is not installed, [`measure`] says so and nothing is refused on its account.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicBool, Ordering};

/// The counting allocator: the system's, plus a per-thread count.
#[derive(Debug, Clone, Copy)]
pub struct Meter;

thread_local! {
    /// Bytes this thread allocated less those it freed (what another thread frees of them
    /// counts there, not here). A `const` cell: reading it never allocates.
    static NET: Cell<isize> = const { Cell::new(0) };
}

/// Whether [`Meter`] is the allocator (set at its first allocation).
static INSTALLED: AtomicBool = AtomicBool::new(false);

fn count(delta: isize) {
    // During a thread's teardown the cell may be gone: that allocation goes uncounted.
    let _ = NET.try_with(|n| n.set(n.get().wrapping_add(delta)));
}

// SAFETY: every call goes to the system allocator unchanged; the count is a side note kept in
// a `const` thread-local cell, which never allocates.
unsafe impl GlobalAlloc for Meter {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        count(layout.size() as isize);
        // SAFETY: the caller's contract is passed on as is.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        INSTALLED.store(true, Ordering::Relaxed);
        count(layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Runs `work` and returns what it gave back with the bytes it left allocated on this
/// thread (what it returned included), or `None` for the bytes when [`Meter`] is not the
/// allocator.
pub fn measure<T>(work: impl FnOnce() -> T) -> (T, Option<usize>) {
    let before = NET.with(Cell::get);
    let value = work();
    let after = NET.with(Cell::get);
    let kept = INSTALLED
        .load(Ordering::Relaxed)
        .then(|| after.saturating_sub(before).max(0) as usize);
    (value, kept)
}
