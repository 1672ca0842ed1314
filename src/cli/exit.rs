//! The exit-code policy, and what happens when stdout goes away.
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success: every solve the command ran ended `solved` (or the command runs no solver) |
//! | 1 | error: bad input or options, I/O failure, a refused size, a backend that could not start |
//! | 2 | command-line usage error (unknown option, missing value; reported by the argument parser) |
//! | 3 | a solve stopped early: `inaccurate`, `iteration_limit` or `time_limit` (its output is printed and labelled) |
//! | 4 | a solve failed: `primal_infeasible`, `dual_infeasible` or `numerical_error` (output printed and labelled) |
//!
//! When a command runs several solves the largest code wins. `demo` (a fixed showcase whose
//! report labels each status) exits 0 when it completes; `train`, `convert` and `cpp` run no
//! conic solver and exit 0 or 1. The commands report their solver
//! statuses with [`record_status`]; [`exit_code`] turns the run's result into the code.
//!
//! Output to a closed pipe (`| head`) or a full device (`> /dev/full`) is not a panic: the
//! command stops, a closed pipe silently and a write failure with one `error:` line, exit code 1.

use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

/// Exit code: success.
pub const SUCCESS: u8 = 0;
/// Exit code: an error (input, options, I/O, sizes).
pub const ERROR: u8 = 1;
/// Exit code: a command-line usage error (clap's own code).
#[allow(dead_code)] // clap exits with it itself; kept here to document the policy
pub const USAGE: u8 = 2;
/// Exit code: a solve stopped at reduced accuracy or at a limit.
pub const STOPPED_EARLY: u8 = 3;
/// Exit code: a solve ended infeasible, unbounded or in numerical failure.
pub const FAILED: u8 = 4;

static WORST: AtomicU8 = AtomicU8::new(SUCCESS);

/// The exit code of a solver status name (the snake_case names of `backend::Status`).
pub fn code_of_status(status: &str) -> u8 {
    match status {
        "solved" => SUCCESS,
        "inaccurate" | "iteration_limit" | "time_limit" => STOPPED_EARLY,
        _ => FAILED,
    }
}

/// Records the status of one solve the command ran (the worst one decides the exit code).
pub fn record_status(status: &str) {
    WORST.fetch_max(code_of_status(status), Ordering::SeqCst);
}

/// The exit code for a finished command.
pub fn exit_code(result: &convex_relu::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::from(WORST.load(Ordering::SeqCst)),
        Err(_) => ExitCode::from(ERROR),
    }
}

/// True for the panic `print!`/`println!` raise when stdout cannot be written.
fn is_stdout_failure(msg: &str) -> bool {
    msg.starts_with("failed printing to stdout")
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| payload.downcast_ref::<String>().cloned()).unwrap_or_default()
}

/// Runs the command; a failure to write stdout becomes exit code 1 (silently for a closed
/// pipe, with one error line otherwise) instead of a panic message.
pub fn run_guarded(f: impl FnOnce() -> ExitCode + std::panic::UnwindSafe) -> ExitCode {
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = panic_message(info.payload());
        if !is_stdout_failure(&msg) {
            default_hook(info);
        }
    }));
    match std::panic::catch_unwind(f) {
        Ok(code) => code,
        Err(payload) => {
            let msg = panic_message(payload.as_ref());
            if !is_stdout_failure(&msg) {
                std::panic::resume_unwind(payload);
            }
            if !msg.contains("Broken pipe") {
                eprintln!("error: writing the output: {}", msg.trim_start_matches("failed printing to stdout: "));
            }
            ExitCode::from(ERROR)
        }
    }
}

/// While alive, file descriptor 1 (stdout) points at stderr, so that solver logs (Clarabel's
/// and SCS's iteration output go to stdout) do not mix with a JSON object on stdout. Dropping it
/// flushes and restores stdout. Inactive (a no-op) when `active` is false.
pub struct LogsToStderr {
    saved: Option<i32>,
}

#[cfg(unix)]
extern "C" {
    fn dup(fd: i32) -> i32;
    fn dup2(fd: i32, fd2: i32) -> i32;
    fn close(fd: i32) -> i32;
    fn fflush(stream: *mut std::ffi::c_void) -> i32;
}

#[cfg(unix)]
fn flush_all() {
    use std::io::Write;
    let _ = std::io::stdout().flush();
    // SAFETY: fflush(NULL) flushes every C stdio output stream; it takes no pointer we own.
    unsafe {
        fflush(std::ptr::null_mut());
    }
}

impl LogsToStderr {
    /// Redirects stdout to stderr when `active` (Unix only; elsewhere a no-op).
    pub fn new(active: bool) -> Self {
        if !active || cfg!(not(unix)) {
            return LogsToStderr { saved: None };
        }
        #[cfg(unix)]
        {
            flush_all();
            // SAFETY: plain descriptor calls on 1 and 2; the duplicate is closed in Drop.
            let saved = unsafe { dup(1) };
            if saved < 0 || unsafe { dup2(2, 1) } < 0 {
                return LogsToStderr { saved: None };
            }
            return LogsToStderr { saved: Some(saved) };
        }
        #[allow(unreachable_code)]
        LogsToStderr { saved: None }
    }
}

impl Drop for LogsToStderr {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Some(fd) = self.saved.take() {
            flush_all();
            // SAFETY: restores descriptor 1 from the duplicate made in `new`, then closes it.
            unsafe {
                dup2(fd, 1);
                close(fd);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes() {
        assert_eq!(code_of_status("solved"), 0);
        for s in ["inaccurate", "iteration_limit", "time_limit"] {
            assert_eq!(code_of_status(s), 3);
        }
        for s in ["primal_infeasible", "dual_infeasible", "numerical_error"] {
            assert_eq!(code_of_status(s), 4);
        }
        assert_eq!(USAGE, 2);
    }
}
