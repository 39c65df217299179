//! When a failed token request is tried again. A pure decision from the error, how many retries
//! were made, the time spent since the first attempt and one random draw; the shell sleeps.
//!
//! - Retried: network failures and timeouts, 408, 429, 5xx, `temporarily_unavailable` and
//!   Entra's transient AADSTS codes (see [`ServerDetails::is_retryable`]). Never other 4xx, nor
//!   answers that arrived but cannot be used (a 2xx without a token will not improve).
//! - `Retry-After` is the wait when the server sent one; when it does not fit what is left of
//!   the deadline the request fails at once, a `ThrottledError` with `retryAfterMs`.
//! - Otherwise the wait is full-jitter exponential back-off above a floor: Entra asks for the
//!   first retry no sooner than 5 s, and never for a fast loop.
//! - An endpoint upgrading ([`UPGRADING`]: IMDS's 410) is asked again every 10 s for 70 s, past
//!   `system.maxRetries`, as long as the deadline allows (Azure's IMDS guidance).
//!
//! [`ServerDetails::is_retryable`]: crate::error::ServerDetails::is_retryable

use crate::error::Error;

/// Span of the random part of the first back-off; it doubles per retry up to [`CAP_MS`].
const BASE_MS: u64 = 1000;
/// Largest random part of a back-off.
const CAP_MS: u64 = 30_000;
/// Least wait before retrying Entra without `Retry-After`: Entra's guidance for 5xx.
pub const ENTRA_FLOOR_MS: u64 = 5000;
/// Least wait before retrying other servers.
pub const GENERIC_FLOOR_MS: u64 = 100;
/// The code of IMDS's 410: an upgrade in progress, over within 70 s (Azure's IMDS guidance).
pub const UPGRADING: &str = "endpoint_upgrading";
/// How long an upgrading endpoint is retried, whatever `system.maxRetries` says.
pub const UPGRADE_WINDOW_MS: u64 = 70_000;
/// The wait between tries while it upgrades (msal-node: 7 tries, 10 s apart).
pub const UPGRADE_WAIT_MS: u64 = 10_000;
/// A retry is only worth starting with at least this long (or one whole attempt, if shorter)
/// left before the deadline.
const MIN_ATTEMPT_MS: u64 = 1000;

/// The retry budget of one acquisition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// `system.maxRetries`: retries after the first attempt.
    pub max_retries: u32,
    /// `system.deadlineMs`: the caller's whole wait, from the first attempt.
    pub deadline_ms: u64,
    /// `system.timeoutMs`: one attempt.
    pub timeout_ms: u64,
    /// Least back-off without `Retry-After`.
    pub floor_ms: u64,
}

/// What to do after a failed attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Wait this long, then send again.
    Retry {
        /// Milliseconds to wait.
        after_ms: u64,
    },
    /// Give up; the note, when present, says why a retryable error was not retried and is
    /// appended to the error's message.
    Stop(Option<String>),
}

impl RetryPolicy {
    /// What is left of the deadline `elapsed_ms` after the first attempt started, at least 1 ms
    /// so that a step given it is never told to give up before it starts.
    pub fn left(&self, elapsed_ms: u64) -> u64 {
        self.deadline_ms.saturating_sub(elapsed_ms).max(1)
    }

    /// The timeout of an attempt starting `elapsed_ms` after the first: `timeoutMs`, or what is
    /// left of the deadline when that is less (at least 1 ms). The flag says which bound it is.
    pub fn attempt_timeout(&self, elapsed_ms: u64) -> (u64, bool) {
        let left = self.left(elapsed_ms);
        if left < self.timeout_ms {
            (left, true)
        } else {
            (self.timeout_ms, false)
        }
    }

    /// The decision after attempt number `retries_done + 1` failed with `err`, `elapsed_ms`
    /// after the first attempt started. `random` is any uniformly random u32.
    pub fn next(&self, err: &Error, retries_done: u32, elapsed_ms: u64, random: u32) -> Next {
        if !is_retryable(err) {
            return Next::Stop(None);
        }
        let fits = |wait: u64| {
            elapsed_ms
                .saturating_add(wait)
                .saturating_add(MIN_ATTEMPT_MS.min(self.timeout_ms))
                <= self.deadline_ms
        };
        // An upgrade ends by itself within its window: keep asking until then, if the deadline allows.
        if err.code() == UPGRADING && elapsed_ms < UPGRADE_WINDOW_MS && fits(UPGRADE_WAIT_MS) {
            return Next::Retry {
                after_ms: UPGRADE_WAIT_MS,
            };
        }
        let retry_after = err.server_details().and_then(|d| d.retry_after_ms);
        if retries_done >= self.max_retries {
            let attempts = retries_done.saturating_add(1);
            return Next::Stop(Some(if self.max_retries == 0 {
                "not retried: system.maxRetries is 0".to_owned()
            } else {
                format!(
                    "gave up after {attempts} attempts in {} (system.maxRetries is {})",
                    seconds(elapsed_ms),
                    self.max_retries
                )
            }));
        }
        let after_ms = match retry_after {
            Some(ms) => ms,
            None => {
                let span = CAP_MS.min(BASE_MS << retries_done.min(16));
                self.floor_ms + u64::from(random) % (span + 1)
            }
        };
        if !fits(after_ms) {
            let left = self.deadline_ms.saturating_sub(elapsed_ms);
            return Next::Stop(Some(match retry_after {
                Some(ms) => format!(
                    "not retried: the server's Retry-After ({}) does not fit the {} left of system.deadlineMs",
                    seconds(ms),
                    seconds(left)
                ),
                None => format!(
                    "gave up after {} attempts: the next back-off does not fit the {} left of system.deadlineMs",
                    retries_done.saturating_add(1),
                    seconds(left)
                ),
            }));
        }
        Next::Retry { after_ms }
    }
}

/// Whether trying again later can succeed: transport failures, timeouts, and server answers
/// marked retryable. Configuration errors and unusable answers are final.
pub fn is_retryable(err: &Error) -> bool {
    match err {
        Error::Config { .. } => false,
        Error::Network { code, .. } => matches!(*code, "fetch_failed" | "timeout"),
        Error::Server { details, .. } => details.is_retryable,
    }
}

/// Milliseconds as seconds with one decimal ("2.5 s").
fn seconds(ms: u64) -> String {
    format!("{}.{} s", ms / 1000, ms % 1000 / 100)
}
