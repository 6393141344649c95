//! The `atoll` binary as users run it, one test binary with a module per area: the command
//! line (`cli`), `kill -9` at any moment (`crash`), and the whole story in headless Chromium
//! (`browser`). `common` starts the binary and speaks HTTP to it.
//!
//! Tests of one area run side by side, as they always have; tests of different areas never
//! overlap ([`group`]), so that the crash test's timing and the browser's throttled link do
//! not compete for the machine's two cores.

mod browser;
mod cli;
mod common;
mod connections;
mod crash;
mod package;

use std::sync::{Condvar, Mutex};

/// Which area's tests are running, and how many.
static RUNNING: Mutex<(Option<&'static str>, usize)> = Mutex::new((None, 0));
static CHANGED: Condvar = Condvar::new();

/// Waits until no test of another area runs, then counts this one in `area` until the
/// returned guard is dropped.
fn group(area: &'static str) -> Group {
    let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
    while running.0.is_some_and(|a| a != area) {
        running = CHANGED.wait(running).unwrap_or_else(|e| e.into_inner());
    }
    *running = (Some(area), running.1 + 1);
    Group
}

/// A test counted in its area until dropped (also when it panics).
struct Group;

impl Drop for Group {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(|e| e.into_inner());
        running.1 -= 1;
        if running.1 == 0 {
            running.0 = None;
            CHANGED.notify_all();
        }
    }
}
