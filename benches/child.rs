//! Shared by the benchmarks: run a measurement in its own child process, so its wall time and
//! peak resident memory (from `wait4`) are its own.

#![allow(dead_code, clippy::unwrap_used)]
#![allow(unsafe_code)] // wait4 for the child's peak RSS; std does not expose it.

use std::io::Read as _;
use std::process::{Command, Stdio};
use std::time::Instant;

/// One child run.
pub struct Run {
    /// Wall time from spawn to exit, seconds.
    pub secs: f64,
    /// The child's peak resident memory, MB.
    pub peak_rss_mb: f64,
    /// What the child printed on stdout.
    pub stdout: String,
}

/// Runs `cmd`, waits with `wait4`, returns wall time, peak RSS and stdout.
#[allow(clippy::zombie_processes)] // reaped by wait4 below
pub fn measure(mut cmd: Command) -> Run {
    let start = Instant::now();
    let mut child = cmd.stdout(Stdio::piped()).spawn().unwrap();
    let mut stdout = String::new();
    if let Some(mut out) = child.stdout.take() {
        out.read_to_string(&mut stdout).unwrap();
    }
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is valid, and `pid` is our own unreaped child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(r, pid, "wait4 failed");
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) <= 1,
        "child failed: {status}"
    );
    Run {
        secs,
        peak_rss_mb: usage.ru_maxrss as f64 / 1024.0,
        stdout,
    }
}

/// The fastest of `n` runs.
pub fn best_of(n: usize, mut f: impl FnMut() -> Run) -> Run {
    let mut runs: Vec<Run> = (0..n).map(|_| f()).collect();
    runs.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    runs.swap_remove(0)
}
