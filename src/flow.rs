//! One acquisition as a state machine: the order of the steps that get a token when the memory
//! level cannot answer. The core owns the state and the order; the shell performs what the
//! machine asks and reports the outcome with the time, as quinn-proto's `Connection` does.
//!
//! # Driving it
//! ```text
//! let mut acq = Acquisition::load(prepared, now);           // or Acquisition::refresh
//! loop {
//!     match acq.poll(&mut client, now, &mut entropy) {
//!         Action::Read { key, within_ms }                => handle(Read(value) | TimedOut)
//!         Action::Lease { key, ttl_ms, within_ms }       => handle(Leased(taken) | TimedOut)
//!         Action::Sign { input, alg, within_ms }         => handle(Signed(signature) | TimedOut)
//!         Action::Assert { within_ms }                   => handle(Asserted(jwt) | TimedOut)
//!         Action::Send { request, timeout_ms, .. }       => handle(Received(response))
//!         Action::ReadFile { path, max_bytes, within_ms } => handle(FileRead(content) | TimedOut)
//!         Action::Sleep { ms }                           => handle(Slept)
//!         Action::Write(write)                           => write it in the background, poll again
//!         Action::Release { key }                        => release after the writes, poll again
//!         Action::Log { level, message }                 => log it, poll again
//!         Action::Done(result)                           => settle every caller with it
//!     }
//! }
//! ```
//!
//! # The sequence
//! 1. A load that may answer from the store reads the store entry first. A value that opens
//!    and is still servable is the answer (with [`Answer::refresh`] once past `refreshOn`);
//!    a read that fails, takes longer than its share, or does not open is a logged miss.
//! 2. With a store, the `Retry-After` window other isolates opened is adopted (see
//!    [`crate::outcome`]): a load finds it in the entry's place, where a failed load leaves it
//!    (so a miss costs one read, as a hit does); a background refresh reads the failure record.
//!    A `skipCache` load reads neither: it asks, as it would without a store, within its own
//!    isolate's window.
//! 3. With a store that leases (Redis, a Durable Object), the caller that takes the key's lease
//!    reads the entry once more (a holder may have come and gone since the first read) and
//!    requests the token on a miss; the others wait for the entry it writes (see [`lease`]). A refresh
//!    first reads the entry: another process may have refreshed already. A holder that fails
//!    writes its error and window before it releases, and waiters end with them at once.
//! 4. An attempt: refused at once inside an open window; otherwise the client assertion
//!    (signed by the shell's WebCrypto for RSA, here for ES256, or the user's callback), then
//!    the token request. Azure Arc's agent answers it with a 401 naming a key file: the shell
//!    reads it (checked by [`crate::managed_identity::arc`] first) and the request is sent again
//!    with the key, within the same attempt.
//! 5. A token is cached in memory, unless a token requested later is held, which is then
//!    the answer; the new one is sealed for the store and answered.
//! 6. A failure is retried after the wait the retry policy gives (`Retry-After`, back-off),
//!    within `system.maxRetries` and `system.deadlineMs`. A final failure writes its record
//!    (the `Retry-After` window it opened; its error, when it held the lease), and a load that
//!    read the entry leaves the window in the entry's place too; a load then serves a
//!    still-valid cached token instead (stale-if-error), and a background refresh postpones
//!    the next one.
//!
//! The deadline counts from the start and bounds every step. The store steps of one
//! acquisition share one quarter of it, whatever their number; the first store step that fails
//! or runs out of that share turns the store off for the rest of the acquisition and opens the
//! client's breaker, so the acquisitions after it skip the store too for
//! [`STORE_COOLDOWN_MS`](crate::client::STORE_COOLDOWN_MS) (logged once; the first store step
//! that answers afterwards closes it). A store fault therefore costs at most one share, once.
//! The assertion and signing get what is left.

mod lease;

use std::collections::VecDeque;

use crate::cache::{CachedToken, Freshness, Shared, TokenSource};
use crate::client::{Answer, Client, Prepared, StoreWrite};
use crate::config::Credential;
use crate::credential::{finish_jwt, JwsAlg};
use crate::envelope::{OpenError, Plain, NONCE_LEN};
use crate::error::Error;
use crate::managed_identity::arc::{self, FileError, MAX_KEY_BYTES};
use crate::request::HttpRequest;
use crate::response::HttpResponse;
use crate::secret::{AccessToken, ClientSecret, TokenText};

/// The store steps of one acquisition get at most this fraction of the deadline together.
const STORE_SHARE_DIVISOR: u64 = 4;

/// The runtime's randomness, as the shell offers it (`crypto.getRandomValues`).
pub trait Entropy {
    /// Fills `out`; `false` when the runtime has none (the bytes are then unusable).
    fn fill(&mut self, out: &mut [u8]) -> bool;
}

/// How loud a log line is (`system.logger`'s levels).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Something failed and was handled.
    Warning,
    /// A token request or background refresh.
    Info,
    /// Where a token came from.
    Verbose,
}

impl Level {
    /// The logger's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Warning => "warning",
            Level::Info => "info",
            Level::Verbose => "verbose",
        }
    }
}

/// What the machine asks the shell to do next.
#[derive(Debug)]
pub enum Action<T = AccessToken> {
    /// `cache.store.get(key)`, given up after `within_ms`: report [`Outcome::Read`] or
    /// [`Outcome::TimedOut`].
    Read {
        /// The store key.
        key: String,
        /// Longest wait.
        within_ms: u64,
    },
    /// An RSA signature over `input` (WebCrypto): report [`Outcome::Signed`] or
    /// [`Outcome::TimedOut`].
    Sign {
        /// The JWS signing input.
        input: String,
        /// PS256 or RS256.
        alg: JwsAlg,
        /// Longest wait.
        within_ms: u64,
    },
    /// Call `auth.clientAssertion`: report [`Outcome::Asserted`] or [`Outcome::TimedOut`].
    Assert {
        /// Longest wait.
        within_ms: u64,
    },
    /// Send the token request: report [`Outcome::Received`].
    Send {
        /// The request.
        request: HttpRequest,
        /// This attempt's timeout.
        timeout_ms: u64,
        /// Whether the timeout is what is left of the deadline (for the message).
        by_deadline: bool,
    },
    /// Read the file at `path` (Azure Arc's key), at most `max_bytes` of a regular file, no
    /// symlink: report [`Outcome::FileRead`] or [`Outcome::TimedOut`].
    ReadFile {
        /// The file, checked against the source's rules already.
        path: String,
        /// A larger file is [`FileError::TooLarge`].
        max_bytes: u64,
        /// Longest wait.
        within_ms: u64,
    },
    /// Wait before the next attempt: report [`Outcome::Slept`].
    Sleep {
        /// Milliseconds.
        ms: u64,
    },
    /// Write to the store in the background; nothing to report.
    Write(StoreWrite),
    /// Take the store's lease on `key` for `ttl_ms`: report [`Outcome::Leased`] or
    /// [`Outcome::TimedOut`].
    Lease {
        /// The lease key.
        key: String,
        /// How long the lease lives.
        ttl_ms: u64,
        /// Longest wait.
        within_ms: u64,
    },
    /// Release the lease on `key` once the writes asked for before have finished; nothing to
    /// report.
    Release {
        /// The lease key.
        key: String,
    },
    /// Log a line; nothing to report.
    Log {
        /// Level.
        level: Level,
        /// Text, free of secrets.
        message: String,
    },
    /// The acquisition is over.
    Done(Result<Answer<T>, Error>),
}

/// A stored value as the driver's cipher opened it, or why it did not open.
pub type Opened = Result<Plain, OpenError>;

/// What happened to the action the machine asked for.
#[derive(Debug)]
pub enum Outcome {
    /// A store read, its value opened by the driver's cipher (the runtime's, with
    /// [`Client::sealing_key`], or [`Client::open_value`]; the store key is the associated
    /// data): the payload or `None`, or why the read failed.
    Read(Result<Option<Opened>, String>),
    /// The step took longer than it was given.
    TimedOut,
    /// An RSA signature.
    Signed(Result<Vec<u8>, Error>),
    /// The assertion callback's JWT.
    Asserted(Result<ClientSecret, Error>),
    /// The token endpoint's answer, or why none arrived.
    Received(Result<HttpResponse, Error>),
    /// The wait is over.
    Slept,
    /// Whether the lease was taken, or why asking failed.
    Leased(Result<bool, String>),
    /// The file's content, or why it could not be read.
    FileRead(Result<ClientSecret, FileError>),
}

impl Outcome {
    /// The outcome's kind, for messages: a response or a store value may hold a token.
    fn name(&self) -> &'static str {
        match self {
            Outcome::Read(_) => "Read",
            Outcome::TimedOut => "TimedOut",
            Outcome::Signed(_) => "Signed",
            Outcome::Asserted(_) => "Asserted",
            Outcome::Received(_) => "Received",
            Outcome::Slept => "Slept",
            Outcome::Leased(_) => "Leased",
            Outcome::FileRead(_) => "FileRead",
        }
    }
}

/// Which acquisition this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Callers wait for it: may answer from the store, serves stale-if-error.
    Load,
    /// A background refresh: never answers from the store, postpones itself on failure.
    Refresh,
}

/// What a store read is for.
#[derive(Debug)]
enum Read {
    /// The token's entry, before anything else.
    Entry,
    /// The failure record other isolates wrote: its window is adopted (refreshes; loads find
    /// it with the entry).
    Outcome,
    /// The token's entry again, while another caller holds the lease.
    Awaited,
    /// The entry once more, after taking the lease: a holder that succeeded wrote it before
    /// it released, so it is there now if it was not at the last read (even when this caller
    /// found the lease free at once: a holder may have come and gone since that read).
    TakenEntry,
    /// The failure record, after taking over the lease a holder released without an entry:
    /// its error (or window) ends this acquisition too.
    HolderOutcome,
}

#[derive(Debug)]
enum State {
    Start,
    Window,
    Reading {
        read: Read,
        within_ms: u64,
        asked_ms: u64,
    },
    Attempt,
    Signing {
        input: String,
        within_ms: u64,
    },
    Asserting {
        within_ms: u64,
    },
    Send,
    Sending,
    /// Azure Arc's key file is being read.
    ReadingKey {
        within_ms: u64,
    },
    Sleep(u64),
    Sleeping,
    Lease,
    Leasing {
        within_ms: u64,
        /// When the lease was asked for: the earliest it can have been taken.
        asked_ms: u64,
    },
    /// This caller took the lease: read the entry again, then (a waiter) the failure record.
    Taken,
    TakenMiss,
    /// Another caller holds the lease: read its entry again after the next wait.
    Waiting,
    WaitSleeping,
    WaitRead,
    Done,
}

/// One acquisition of a token for one request: a load callers wait for, or a background
/// refresh. See the [module documentation](self) for the sequence.
#[derive(Debug)]
pub struct Acquisition<T = AccessToken> {
    p: Prepared,
    kind: Kind,
    started_ms: u64,
    state: State,
    retries: u32,
    assertion: Option<ClientSecret>,
    sent_ms: u64,
    queue: VecDeque<Action<T>>,
    /// This acquisition holds the key's lease until this time: it releases it when done, if
    /// the lease has not ended by itself.
    lease_until_ms: Option<u64>,
    /// The next wait between reads of the entry, while another caller holds the lease.
    poll_ms: u64,
    /// Another caller held the lease when this one asked: its error is this one's too.
    waited: bool,
    /// What is left of the store's share of the deadline for this acquisition.
    store_left_ms: u64,
    /// The store failed or ran out of its share: skipped for the rest of this acquisition.
    store_off: bool,
    /// A refresh renews a token that stops being fresh by this time (a stored one that stays
    /// fresh past it was renewed by another process already).
    due_by_ms: u64,
    /// Token requests sent, for telemetry.
    attempts: u32,
}

impl<T: TokenText> Acquisition<T> {
    /// A load for `p`, starting at `now_ms`.
    pub fn load(p: Prepared, now_ms: u64) -> Self {
        Self::new(p, Kind::Load, now_ms)
    }

    /// A background refresh for `p`'s key: a fresh token whatever is cached.
    pub fn refresh(p: Prepared, now_ms: u64) -> Self {
        let mut acq = Self::new(p, Kind::Refresh, now_ms);
        acq.log(
            Level::Info,
            "token is past refreshOn: refreshing in the background",
        );
        acq
    }

    /// A scheduled refresh (`refreshDue`) of a token that stops being fresh by `due_by_ms`.
    pub fn refresh_due(p: Prepared, now_ms: u64, due_by_ms: u64) -> Self {
        let mut acq = Self::new(p, Kind::Refresh, now_ms);
        acq.due_by_ms = due_by_ms;
        acq.log(
            Level::Info,
            "token is due within the refreshDue window: refreshing it",
        );
        acq
    }

    fn new(p: Prepared, kind: Kind, now_ms: u64) -> Self {
        Acquisition {
            p,
            kind,
            started_ms: now_ms,
            state: State::Start,
            retries: 0,
            assertion: None,
            sent_ms: now_ms,
            queue: VecDeque::new(),
            lease_until_ms: None,
            poll_ms: lease::FIRST_POLL_MS,
            waited: false,
            // Set from the client's deadline on the first poll.
            store_left_ms: 0,
            store_off: false,
            due_by_ms: now_ms,
            attempts: 0,
        }
    }

    /// The request this acquisition is for.
    pub fn request(&self) -> &Prepared {
        &self.p
    }

    /// How many token requests it has sent (telemetry's `entra_edge.attempts`).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The next action. Call again after each [`Action::Write`] and [`Action::Log`], and after
    /// reporting the outcome of any other action with [`Acquisition::handle`].
    pub fn poll(
        &mut self,
        client: &mut Client<T>,
        now_ms: u64,
        entropy: &mut dyn Entropy,
    ) -> Action<T> {
        loop {
            if let Some(action) = self.queue.pop_front() {
                return action;
            }
            match std::mem::replace(&mut self.state, State::Done) {
                State::Start => {
                    self.store_left_ms =
                        (client.config().retry.deadline_ms / STORE_SHARE_DIVISOR).max(1);
                    let reads = match self.kind {
                        Kind::Load => !self.p.bypass_cache,
                        // Another process may have refreshed it already.
                        Kind::Refresh => client.config().lease,
                    };
                    if reads && self.store_on(client, now_ms) {
                        return self.read(client, now_ms, Read::Entry);
                    }
                    self.state = State::Window;
                }
                State::Window => {
                    // A load that read the entry read the window with it (see `outcome`); one
                    // that skips the cache asks, as it would without a store (its own
                    // isolate's window still holds). A refresh, off the request path, reads
                    // the record a refresh that failed left.
                    if self.kind == Kind::Refresh && self.store_on(client, now_ms) {
                        return self.read(client, now_ms, Read::Outcome);
                    }
                    self.state = self.after_window(client);
                }
                State::Attempt => self.attempt(client, now_ms, entropy),
                State::Send => {
                    let request = client.token_request(
                        &self.p,
                        self.assertion.as_ref().map(ClientSecret::secret),
                    );
                    let (timeout_ms, by_deadline) = client
                        .config()
                        .retry
                        .attempt_timeout(now_ms.saturating_sub(self.started_ms));
                    // Lifetimes count from the send, not the receipt: never overestimate a token's life.
                    self.sent_ms = now_ms;
                    self.attempts += 1;
                    client.stats_mut().token_requests += 1;
                    self.state = State::Sending;
                    return Action::Send {
                        request,
                        timeout_ms,
                        by_deadline,
                    };
                }
                State::Sleep(ms) => {
                    self.state = State::Sleeping;
                    return Action::Sleep { ms };
                }
                State::Lease => {
                    if self.store_on(client, now_ms) {
                        return self.lease(client, now_ms);
                    }
                    self.state = State::Attempt;
                }
                State::Taken if self.store_on(client, now_ms) => {
                    return self.read(client, now_ms, Read::TakenEntry)
                }
                State::TakenMiss if self.store_on(client, now_ms) => {
                    return self.read(client, now_ms, Read::HolderOutcome)
                }
                // The store ran out of its share taking the lease: request under it.
                State::Taken | State::TakenMiss => self.state = State::Attempt,
                State::Waiting => {
                    self.state = State::WaitSleeping;
                    return Action::Sleep { ms: self.poll_ms };
                }
                State::WaitRead => {
                    if self.store_on(client, now_ms) {
                        return self.read(client, now_ms, Read::Awaited);
                    }
                    self.state = State::Attempt;
                }
                State::Done => {
                    return Action::Done(Err(Error::network(
                        "internal_error",
                        "the acquisition was polled after it finished or while it waited for an outcome",
                    )))
                }
                waiting => {
                    self.state = waiting;
                    return Action::Done(Err(Error::network(
                        "internal_error",
                        "the acquisition was polled while it waited for an outcome",
                    )));
                }
            }
        }
    }

    /// Reports the outcome of the last action, at `now_ms`.
    pub fn handle(
        &mut self,
        client: &mut Client<T>,
        outcome: Outcome,
        now_ms: u64,
        entropy: &mut dyn Entropy,
    ) {
        match (std::mem::replace(&mut self.state, State::Done), outcome) {
            (State::Reading { read, asked_ms, .. }, Outcome::Read(value)) => {
                self.store_answered(client, value.is_ok(), asked_ms, now_ms);
                self.was_read(client, read, value, now_ms)
            }
            (
                State::Reading {
                    read,
                    within_ms,
                    asked_ms,
                },
                Outcome::TimedOut,
            ) => {
                self.store_answered(client, false, asked_ms, now_ms);
                let late = format!("cache.store.get did not answer within {within_ms} ms");
                self.was_read(client, read, Err(late), now_ms)
            }
            (State::Leasing { asked_ms, .. }, Outcome::Leased(taken)) => {
                self.store_answered(client, taken.is_ok(), asked_ms, now_ms);
                self.leased(client, taken, asked_ms, now_ms)
            }
            (
                State::Leasing {
                    within_ms,
                    asked_ms,
                },
                Outcome::TimedOut,
            ) => {
                self.store_answered(client, false, asked_ms, now_ms);
                let late = format!("cache.store.lease did not answer within {within_ms} ms");
                self.leased(client, Err(late), asked_ms, now_ms)
            }
            (State::WaitSleeping, Outcome::Slept) => {
                self.state = State::WaitRead;
            }
            (State::Signing { input, .. }, Outcome::Signed(Ok(signature))) => {
                self.assertion = Some(ClientSecret::new(finish_jwt(&input, &signature)));
                self.state = State::Send;
            }
            (State::Signing { within_ms, .. }, Outcome::TimedOut) => {
                let err = timed_out("signing the client assertion (WebCrypto)", within_ms);
                self.failed(client, err, now_ms, entropy);
            }
            (State::Asserting { .. }, Outcome::Asserted(Ok(jwt))) => {
                self.assertion = Some(jwt);
                self.state = State::Send;
            }
            (State::Asserting { within_ms }, Outcome::TimedOut) => {
                let err = timed_out("the auth.clientAssertion callback", within_ms);
                self.failed(client, err, now_ms, entropy);
            }
            (State::Signing { .. }, Outcome::Signed(Err(err)))
            | (State::Asserting { .. }, Outcome::Asserted(Err(err)))
            | (State::Sending, Outcome::Received(Err(err))) => {
                self.failed(client, err, now_ms, entropy)
            }
            (State::Sending, Outcome::Received(Ok(response))) => {
                match client.challenge(&response, self.assertion.is_some()) {
                    Some(Ok(path)) => {
                        let within_ms = self.left(client, now_ms);
                        self.queue.push_back(Action::ReadFile {
                            path,
                            max_bytes: MAX_KEY_BYTES,
                            within_ms,
                        });
                        self.state = State::ReadingKey { within_ms };
                        return;
                    }
                    Some(Err(err)) => return self.failed(client, err, now_ms, entropy),
                    None => {}
                }
                let received = client.receive(
                    &self.p,
                    &response,
                    self.sent_ms,
                    random_u32(entropy),
                    self.assertion.as_ref().map(ClientSecret::secret),
                );
                match received {
                    Ok(token) => self.succeeded(client, token, now_ms, entropy),
                    Err(err) => self.failed(client, err, now_ms, entropy),
                }
            }
            (State::ReadingKey { .. }, Outcome::FileRead(read)) => {
                match read
                    .map_err(|e| arc::file_error(&e))
                    .and_then(|c| arc::key(&c))
                {
                    Ok(key) => {
                        self.assertion = Some(key);
                        self.state = State::Send;
                    }
                    Err(err) => self.failed(client, err, now_ms, entropy),
                }
            }
            (State::ReadingKey { within_ms }, Outcome::TimedOut) => {
                let err = timed_out("reading Azure Arc's key file", within_ms);
                self.failed(client, err, now_ms, entropy);
            }
            (State::Sleeping, Outcome::Slept) => self.state = State::Attempt,
            (_, outcome) => self.finish(Err(Error::network(
                "internal_error",
                format!(
                    "an outcome the acquisition did not ask for: {}",
                    outcome.name()
                ),
            ))),
        }
    }

    /// Asks the store for what `read` is for, within what is left of the store's share.
    fn read(&mut self, client: &Client<T>, now_ms: u64, read: Read) -> Action<T> {
        let key = match read {
            Read::Outcome | Read::HolderOutcome => client.outcome_key(&self.p),
            Read::Entry | Read::Awaited | Read::TakenEntry => client.store_key(&self.p),
        };
        let within_ms = self.store_share(client, now_ms);
        self.state = State::Reading {
            read,
            within_ms,
            asked_ms: now_ms,
        };
        Action::Read { key, within_ms }
    }

    /// Whether this acquisition asks the store now: configured, not failed in this
    /// acquisition, and not skipped by the client's breaker.
    fn store_on(&self, client: &Client<T>, now_ms: u64) -> bool {
        !self.store_off && client.store_usable(now_ms)
    }

    /// A store step asked at `asked_ms` ended at `now_ms`, answered (`ok`) or not. Its time
    /// comes out of the share; a failure, or a share used up, turns the store off here, and a
    /// failure opens the breaker (logged when it changes).
    fn store_answered(&mut self, client: &mut Client<T>, ok: bool, asked_ms: u64, now_ms: u64) {
        self.store_left_ms = self
            .store_left_ms
            .saturating_sub(now_ms.saturating_sub(asked_ms));
        if ok {
            if client.store_answered() {
                self.log(Level::Info, "cache.store answers again: using it");
            }
        } else {
            client.stats_mut().store_read_failures += 1;
            if client.store_failed(now_ms) {
                self.log(
                    Level::Warning,
                    &format!(
                        "cache.store failed or did not answer: skipping it for {} s (tokens stay cached in memory)",
                        crate::client::STORE_COOLDOWN_MS / 1000
                    ),
                );
            }
        }
        if !ok || self.store_left_ms == 0 {
            self.store_off = true;
        }
    }

    /// A store read ended: the value, `None` for a miss, or why there is none.
    fn was_read(
        &mut self,
        client: &mut Client<T>,
        read: Read,
        value: Result<Option<Opened>, String>,
        now_ms: u64,
    ) {
        match read {
            Read::Entry => {
                self.state = State::Window;
                if let Some(value) = self.store_value(value, "asking the identity provider instead")
                {
                    self.open_entry(client, value, now_ms);
                }
            }
            Read::Outcome => {
                self.state = self.after_window(client);
                // Values that do not open (written without the sealing key) tell nothing.
                if let Some(Ok(plain)) = self.store_value(
                    value,
                    "the Retry-After window of other isolates is not known",
                ) {
                    // A holder's error is for the callers that waited for it, not this one.
                    let _ = client.read_outcome(&self.p, &plain, now_ms);
                }
            }
            Read::Awaited => self.waited(client, value, now_ms),
            Read::TakenEntry => {
                // Only a waiter can have had a holder whose failure record is for it.
                self.state = if self.waited {
                    State::TakenMiss
                } else {
                    State::Attempt
                };
                if let Some(value) = self.store_value(value, "requesting the token") {
                    self.open_entry(client, value, now_ms);
                }
            }
            Read::HolderOutcome => self.holder_outcome(client, value, now_ms),
        }
    }

    /// Whether this acquisition read the entry, where a load that failed before it leaves its
    /// window: a load that may answer from the store.
    fn reads_window_with_entry(&self) -> bool {
        self.kind == Kind::Load && !self.p.bypass_cache
    }

    /// Once the window is known: the lease, with a store that leases; else the attempt.
    fn after_window(&self, client: &Client<T>) -> State {
        if self.leases(client) {
            State::Lease
        } else {
            State::Attempt
        }
    }

    /// A store read's value, or `None` after logging why there is none.
    fn store_value(&mut self, value: Result<Option<Opened>, String>, then: &str) -> Option<Opened> {
        value.unwrap_or_else(|why| {
            self.log(Level::Warning, &format!("{why}; {then}"));
            None
        })
    }

    /// Opens a stored entry; `true` when it was the answer.
    fn open_entry(&mut self, client: &mut Client<T>, value: Opened, now_ms: u64) -> bool {
        match client.open_stored(&self.p, value, now_ms) {
            // A refresh wants a token that is no longer due: one another process refreshed.
            Ok(Some((token, _)))
                if self.kind == Kind::Refresh
                    && token.fresh_until(client.config().expiry_buffer_ms) <= self.due_by_ms =>
            {
                false
            }
            Ok(Some((token, freshness))) => {
                self.log(Level::Verbose, "token served from cache.store");
                let answer = client.answer(token, TokenSource::Store, freshness);
                // A waiter that took the lease over found the holder's entry: let it go.
                self.release(client, now_ms);
                self.finish(Ok(answer));
                true
            }
            Ok(None) => false,
            Err(why) => {
                self.log(
                    Level::Warning,
                    &format!("{}; it will be overwritten", why.describe()),
                );
                false
            }
        }
    }

    fn attempt(&mut self, client: &mut Client<T>, now_ms: u64, entropy: &mut dyn Entropy) {
        if let Err(refused) = client.check_throttle(&self.p, now_ms) {
            client.stats_mut().throttled_refusals += 1;
            return self.fail(client, refused, now_ms);
        }
        let left_ms = self.left(client, now_ms);
        match &client.config().credential {
            Credential::Certificate(_) => {
                let mut jti = [0u8; 16];
                if !entropy.fill(&mut jti) {
                    let err = Error::config(
                        "unsupported_runtime",
                        "a client assertion needs a random jti, and this runtime's crypto.getRandomValues failed",
                    );
                    return self.fail(client, err, now_ms);
                }
                let Some((input, alg)) = client.assertion_to_sign(&self.p, now_ms, &uuid(jti))
                else {
                    return self.fail(client, no_key(), now_ms);
                };
                if alg == JwsAlg::Es256 {
                    let Some(signature) = client.sign_es256(&input) else {
                        return self.fail(client, no_key(), now_ms);
                    };
                    self.assertion = Some(ClientSecret::new(finish_jwt(&input, &signature)));
                    self.state = State::Send;
                } else {
                    self.queue.push_back(Action::Sign {
                        input: input.clone(),
                        alg,
                        within_ms: left_ms,
                    });
                    self.state = State::Signing {
                        input,
                        within_ms: left_ms,
                    };
                }
            }
            Credential::AssertionCallback => {
                self.queue.push_back(Action::Assert { within_ms: left_ms });
                self.state = State::Asserting { within_ms: left_ms };
            }
            // Each attempt meets Azure Arc's challenge afresh: the agent's keys are single-use.
            Credential::ManagedIdentity(_) => {
                self.assertion = None;
                self.state = State::Send;
            }
            Credential::Secret { .. } | Credential::StaticAssertion(_) => self.state = State::Send,
        }
    }

    fn succeeded(
        &mut self,
        client: &mut Client<T>,
        token: CachedToken,
        now_ms: u64,
        entropy: &mut dyn Entropy,
    ) {
        // Sealed from the text as received; then held as the memory level holds tokens.
        let write = self.seal(client, &token, entropy);
        let answer = match client.remember(&self.p, token.hold(), now_ms) {
            Ok(token) => {
                self.log(Level::Info, "token acquired from the identity provider");
                if let Some(write) = write {
                    self.queue.push_back(Action::Write(write));
                }
                client.answer(token, TokenSource::IdentityProvider, Freshness::Fresh)
            }
            Err((newer, freshness)) => {
                self.log(
                    Level::Info,
                    "token acquired from the identity provider, but one requested later is cached: serving that one",
                );
                client.answer(newer, TokenSource::Memory, freshness)
            }
        };
        self.release(client, now_ms);
        self.finish(Ok(answer));
    }

    /// The store entry for a token just received, if there is a store and randomness.
    fn seal(
        &mut self,
        client: &Client<T>,
        token: &CachedToken,
        entropy: &mut dyn Entropy,
    ) -> Option<StoreWrite> {
        if !self.store_on(client, self.sent_ms) {
            return None;
        }
        let mut nonce = [0u8; NONCE_LEN];
        if !entropy.fill(&mut nonce) {
            // A repeated AES-GCM nonce would leak the key stream: without randomness, do not store.
            self.log(
                Level::Warning,
                "crypto.getRandomValues failed: the token is not written to cache.store",
            );
            return None;
        }
        client.seal(&self.p, token, self.sent_ms, nonce)
    }

    /// An attempt failed: try again after the policy's wait, or give up.
    fn failed(
        &mut self,
        client: &mut Client<T>,
        err: Error,
        now_ms: u64,
        entropy: &mut dyn Entropy,
    ) {
        let elapsed_ms = now_ms.saturating_sub(self.started_ms);
        let stale = self.stale(client, now_ms);
        let decision = client.after_failure(
            &self.p,
            err,
            self.retries,
            elapsed_ms,
            now_ms,
            random_u32(entropy),
            stale.is_some(),
        );
        match decision {
            Ok(wait_ms) => {
                self.retries += 1;
                client.stats_mut().retries += 1;
                self.log(
                    Level::Warning,
                    &format!(
                        "token request failed; retry {} in {wait_ms} ms",
                        self.retries
                    ),
                );
                self.state = State::Sleep(wait_ms);
            }
            Err(err) => {
                self.log(
                    Level::Warning,
                    &format!("token request failed: {}", err.message()),
                );
                self.tell_fleet(client, &err, now_ms, entropy);
                self.give_up(client, err, now_ms, stale);
            }
        }
    }

    /// Writes the failure record: the window `err` opened, and `err` itself when this
    /// acquisition holds the lease (callers may be waiting for it). Before the release, which
    /// waits for the writes: a waiter that takes the lease over then reads it.
    fn tell_fleet(
        &mut self,
        client: &Client<T>,
        err: &Error,
        now_ms: u64,
        entropy: &mut dyn Entropy,
    ) {
        if !self.store_on(client, now_ms) {
            return;
        }
        let mut nonce = [0u8; NONCE_LEN];
        if !entropy.fill(&mut nonce) {
            return;
        }
        let holder = self.lease_until_ms.is_some();
        if let Some(write) = client.outcome_write(&self.p, err, holder, now_ms, nonce) {
            self.queue.push_back(Action::Write(write));
        }
        // A load found no token in the entry: its window goes there too, where loads read it.
        // Its own nonce: one key seals both.
        let mut nonce = [0u8; NONCE_LEN];
        if self.reads_window_with_entry() && entropy.fill(&mut nonce) {
            if let Some(write) = client.window_write(&self.p, err, now_ms, nonce) {
                self.queue.push_back(Action::Write(write));
            }
        }
    }

    /// Stale-if-error: the still-valid token a load serves if its token request fails. A
    /// refresh has none to serve: its callers are served the cached token already.
    fn stale(&self, client: &Client<T>, now_ms: u64) -> Option<Shared<CachedToken<T>>> {
        match self.kind {
            Kind::Load => client.stale(&self.p, now_ms),
            Kind::Refresh => None,
        }
    }

    /// The acquisition failed before a token request could be sent.
    fn fail(&mut self, client: &mut Client<T>, err: Error, now_ms: u64) {
        let stale = self.stale(client, now_ms);
        self.give_up(client, err, now_ms, stale);
    }

    /// The acquisition failed for good; `stale` is what [`Acquisition::stale`] gave.
    fn give_up(
        &mut self,
        client: &mut Client<T>,
        err: Error,
        now_ms: u64,
        stale: Option<Shared<CachedToken<T>>>,
    ) {
        // Waiters contend again at once instead of waiting out the lease.
        self.release(client, now_ms);
        match (self.kind, stale) {
            // Stale-if-error: a token that is still valid beats an outage for the caller.
            (Kind::Load, Some(token)) => {
                client.stats_mut().stale_serves += 1;
                self.log(
                    Level::Warning,
                    &format!(
                        "serving a cached token that is still valid because the token request failed: {}",
                        err.message()
                    ),
                );
                // Not fresh: the shell serves it once and does not repeat it.
                let answer = client.answer(token, TokenSource::Memory, Freshness::Expired);
                self.finish(Ok(answer));
            }
            (Kind::Load, None) => self.finish(Err(err)),
            (Kind::Refresh, _) => {
                let retry_after = err.server_details().and_then(|d| d.retry_after_ms);
                client.defer_refresh(&self.p, now_ms, retry_after);
                self.log(
                    Level::Warning,
                    &format!(
                        "background refresh failed, serving the cached token: {}",
                        err.message()
                    ),
                );
                self.finish(Err(err));
            }
        }
    }

    fn finish(&mut self, result: Result<Answer<T>, Error>) {
        self.state = State::Done;
        self.queue.push_back(Action::Done(result));
    }

    fn log(&mut self, level: Level, message: &str) {
        self.queue.push_back(Action::Log {
            level,
            message: message.to_owned(),
        });
    }

    /// What is left of the deadline (at least 1 ms).
    fn left(&self, client: &Client<T>, now_ms: u64) -> u64 {
        client
            .config()
            .retry
            .left(now_ms.saturating_sub(self.started_ms))
    }

    /// What a store step may take: what is left of the share, within the deadline.
    fn store_share(&self, client: &Client<T>, now_ms: u64) -> u64 {
        self.left(client, now_ms).min(self.store_left_ms.max(1))
    }
}

/// A signing or assertion step that took all the time it was given.
fn timed_out(step: &str, within_ms: u64) -> Error {
    Error::network(
        "timeout",
        format!("{step} did not finish within the {within_ms} ms left of system.deadlineMs"),
    )
}

fn no_key() -> Error {
    Error::config("invalid_certificate", "no signing key for this credential")
}

/// A random u32 (zero without randomness: jitter and back-off then use their floor).
fn random_u32(entropy: &mut dyn Entropy) -> u32 {
    let mut b = [0u8; 4];
    if entropy.fill(&mut b) {
        u32::from_le_bytes(b)
    } else {
        0
    }
}

/// A version 4 UUID (RFC 9562 §5.4) from 16 random bytes.
pub fn uuid(mut b: [u8; 16]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    // Written digit by digit: one per acquisition, where format! was a measurable part of a
    // workerd store hit (issue 24).
    let mut out = String::with_capacity(36);
    for (i, byte) in b.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            out.push('-');
        }
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uuid;

    #[test]
    fn ids_are_version_4_uuids() {
        assert_eq!(uuid([0; 16]), "00000000-0000-4000-8000-000000000000");
        assert_eq!(uuid([0xff; 16]), "ffffffff-ffff-4fff-bfff-ffffffffffff");
        let id = uuid(*b"0123456789abcdef");
        assert_eq!(id, "30313233-3435-4637-b839-616263646566");
    }
}
