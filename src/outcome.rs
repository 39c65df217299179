//! What a failed acquisition leaves in the store for the rest of the fleet: the `Retry-After`
//! window it opened, and the error it ended with. Sealed like the entries (the store key is the
//! associated data), so a record written by anyone without the sealing key is ignored: a store
//! writer cannot block a key for a day, or feed waiters an error of its choosing.
//!
//! - Every caller adopts an open window before requesting, so nobody in the fleet sends a
//!   request inside it.
//! - Only callers that were waiting for a lease holder take its error: they end at once with it
//!   instead of waiting out the lease and asking again. It counts for one lease's life after it
//!   was written; a caller arriving later asks for itself, as it would without a store.
//!
//! A load that found no token and failed with a window also leaves that window in the entry's
//! place ([`window_record`]): a load reads it with the entry, so a miss costs one store read,
//! not two (issue 24). Only such a load writes there, having found no token to overwrite; a
//! background refresh, which holds a valid token, and a `skipCache` load leave their window in
//! the record alone. A token another process stored between that load's read and its failure
//! is overwritten: loads then back off for the window (or serve from memory) and the first
//! after it asks again, which is what they would have done without a store. It takes one
//! process throttled while another is answered, both after a miss, at the same moment.

use serde::{Deserialize, Serialize};

use crate::envelope::Plain;
use crate::error::{Error, ServerDetails};
use crate::response::{hint, MAX_WINDOW_MS};

/// The sealed payload.
#[derive(Serialize, Deserialize)]
struct Record {
    /// When it was written (ms since the epoch).
    at: u64,
    /// The end of the `Retry-After` window, when the failure opened one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    until: Option<u64>,
    /// The error the writer ended with, when it held the lease.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    err: Option<Failure>,
}

/// An [`Error`] as it travels between processes: only server-sent diagnostics (already
/// redacted) and this crate's own messages, never a credential.
#[derive(Serialize, Deserialize)]
struct Failure {
    code: String,
    message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    server: Option<Server>,
}

#[derive(Serialize, Deserialize)]
struct Server {
    status: u16,
    error: Option<String>,
    description: Option<String>,
    codes: Vec<u64>,
    trace: Option<String>,
    timestamp: Option<String>,
    uri: Option<String>,
    correlation: Option<String>,
    retryable: bool,
}

/// What a record read from the store says.
#[derive(Debug, Default, PartialEq)]
pub struct Outcome {
    /// The end of an open `Retry-After` window.
    pub window_until_ms: Option<u64>,
    /// The error of a lease holder that failed within the last lease's life.
    pub holder_error: Option<Error>,
}

/// The record of a failure `err` at `now_ms`, to be sealed: its window (if it opened one) and,
/// when `holder` (the writer held the lease: callers may be waiting for it), the error.
/// `None` when there is nothing to tell.
pub fn record(err: &Error, holder: bool, now_ms: u64) -> Option<Plain> {
    let until = err
        .server_details()
        .and_then(|d| d.retry_after_ms)
        .map(|wait| now_ms.saturating_add(wait));
    let err = holder.then(|| failure(err)).flatten();
    if until.is_none() && err.is_none() {
        return None;
    }
    let record = Record {
        at: now_ms,
        until,
        err,
    };
    serde_json::to_vec(&record).ok().map(Plain::new)
}

/// The payload a failed load leaves under its entry's key: the end of its window.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Window {
    window: u64,
}

/// The window `err` opened, as left under the entry's key; `None` when it opened none.
pub fn window_record(err: &Error, now_ms: u64) -> Option<Plain> {
    let wait = err.server_details()?.retry_after_ms?;
    let record = Window {
        window: now_ms.saturating_add(wait),
    };
    serde_json::to_vec(&record).ok().map(Plain::new)
}

/// What an opened entry value that holds no token says: `Some` when it is a failed load's
/// window (the window itself while open, within [`MAX_WINDOW_MS`]), `None` when it is
/// something else.
pub fn window_in(plain: &[u8], now_ms: u64) -> Option<Option<u64>> {
    let record = crate::lenient::object::<Window>(plain)?;
    let until = record.window;
    Some((until > now_ms && until - now_ms <= MAX_WINDOW_MS).then_some(until))
}

/// Reads an opened record at `now_ms`. `fresh_ms` is how long a holder's error counts (a
/// lease's life). Records that do not parse, and windows ending more than [`MAX_WINDOW_MS`]
/// ahead, tell nothing.
pub fn read(plain: &[u8], now_ms: u64, fresh_ms: u64) -> Outcome {
    let Some(record) = crate::lenient::object::<Record>(plain) else {
        return Outcome::default();
    };
    let window_until_ms = record
        .until
        .filter(|&until| until > now_ms && until - now_ms <= MAX_WINDOW_MS);
    let holder_error = record
        .err
        .filter(|_| now_ms < record.at.saturating_add(fresh_ms))
        .map(|f| error(f, window_until_ms.map(|until| until - now_ms)));
    Outcome {
        window_until_ms,
        holder_error,
    }
}

/// The errors worth telling waiters: the identity provider's answers and transport failures.
/// Configuration errors are the writer's own (its callback, its key).
fn failure(err: &Error) -> Option<Failure> {
    let server = match err {
        Error::Config { .. } => return None,
        Error::Network { .. } => None,
        Error::Server { details, .. } => Some(Server {
            status: details.status,
            error: details.error.clone(),
            description: details.error_description.clone(),
            codes: details.error_codes.clone(),
            trace: details.trace_id.clone(),
            timestamp: details.timestamp.clone(),
            uri: details.error_uri.clone(),
            correlation: details.correlation_id.clone(),
            retryable: details.is_retryable,
        }),
    };
    Some(Failure {
        code: err.code().to_owned(),
        message: err.message().to_owned(),
        server,
    })
}

/// Network codes a holder can end with; any other is told as `fetch_failed`.
const NETWORK_CODES: [&str; 4] = [
    "timeout",
    "fetch_failed",
    "invalid_response",
    "host_not_found",
];

/// The holder's error as this caller gets it, with what is left of its window.
fn error(f: Failure, retry_after_ms: Option<u64>) -> Error {
    let message = format!(
        "{} (the token request was made by another process holding this token's lease)",
        f.message
    );
    match f.server {
        Some(s) => Error::Server {
            code: f.code,
            message,
            details: Box::new(ServerDetails {
                status: s.status,
                hint: s.codes.iter().find_map(|c| hint(*c)),
                error: s.error,
                error_description: s.description,
                error_codes: s.codes,
                trace_id: s.trace,
                timestamp: s.timestamp,
                error_uri: s.uri,
                correlation_id: s.correlation,
                is_retryable: s.retryable,
                retry_after_ms,
            }),
        },
        None => {
            let code = NETWORK_CODES
                .into_iter()
                .find(|c| *c == f.code)
                .unwrap_or("fetch_failed");
            Error::network(code, message)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server(status: u16, retry_after_ms: Option<u64>) -> Error {
        Error::Server {
            code: "invalid_client".into(),
            message: "the token endpoint answered HTTP 401: invalid_client".into(),
            details: Box::new(ServerDetails {
                status,
                error: Some("invalid_client".into()),
                error_codes: vec![7000215],
                retry_after_ms,
                ..ServerDetails::default()
            }),
        }
    }

    #[test]
    fn a_holders_error_travels_for_one_lease_life() {
        let plain = record(&server(401, None), true, 1000).unwrap();
        let read = read(plain.bytes(), 1500, 2000);
        let err = read.holder_error.unwrap();
        assert_eq!(err.code(), "invalid_client");
        assert_eq!(err.server_details().unwrap().status, 401);
        assert!(err.server_details().unwrap().hint.is_some());
        assert!(err.message().contains("another process"));
        assert_eq!(read.window_until_ms, None);
        assert_eq!(
            super::read(plain.bytes(), 3000, 2000),
            Outcome::default(),
            "stale after the lease's life"
        );
    }

    #[test]
    fn windows_are_told_to_everyone_and_errors_only_by_holders() {
        let throttled = server(429, Some(60_000));
        let plain = record(&throttled, false, 1000).unwrap();
        let read = read(plain.bytes(), 2000, 2000);
        assert_eq!(read.window_until_ms, Some(61_000));
        assert!(read.holder_error.is_none());
        assert!(record(&server(401, None), false, 1).is_none());
        assert!(record(&Error::config("x", "y"), true, 1).is_none());
    }

    #[test]
    fn payloads_that_are_no_record_tell_nothing() {
        assert_eq!(read(b"9999999999999", 1, 10), Outcome::default());
        assert_eq!(read(b"{\"at\":\"x\"}", 1, 10), Outcome::default());
    }

    #[test]
    fn a_window_in_the_entrys_place_is_told_apart_from_anything_else() {
        let plain = window_record(&server(429, Some(60_000)), 1000).unwrap();
        assert_eq!(window_in(plain.bytes(), 2000), Some(Some(61_000)));
        assert_eq!(window_in(plain.bytes(), 61_000), Some(None), "ended");
        assert!(window_record(&server(401, None), 1).is_none());
        // A token entry, a failure record and extra fields are no window.
        assert_eq!(window_in(br#"{"at":"token","exp":1}"#, 1), None);
        assert_eq!(window_in(br#"{"at":1,"until":5}"#, 1), None);
        assert_eq!(window_in(br#"{"window":5,"at":1}"#, 1), None);
        let far = 1 + MAX_WINDOW_MS + 1;
        assert_eq!(
            window_in(format!("{{\"window\":{far}}}").as_bytes(), 1),
            Some(None)
        );
    }
}
