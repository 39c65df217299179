//! The acquisition state machine driven natively at fixed clocks, as the shell drives it in
//! Node and workerd: each action is answered from a script, each step takes a known time, and
//! the trace of actions is kept in order for the tests to assert.
#![allow(
    dead_code,
    missing_docs,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used
)]

use std::collections::{HashMap, VecDeque};

use entra_edge::client::{Answer, Client, Prepared};
use entra_edge::flow::{Acquisition, Action, Entropy, Outcome};
use entra_edge::input::JsonRequest;
use entra_edge::managed_identity::FileError;
use entra_edge::request::HttpRequest;
use entra_edge::response::HttpResponse;
use entra_edge::secret::ClientSecret;
use entra_edge::Error;

use crate::common::{client, fixture, response};

/// 2027-01-15T08:00:00Z.
pub const T0: u64 = 1_800_000_000_000;
/// What every store read and lease takes on the simulated clock, and a token request unless
/// the test says otherwise.
pub const STEP_MS: u64 = 50;

pub const SECRET_APP: &str = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"}}"#;
pub const STORE_APP: &str = r#"{"auth":{"clientId":"c","authority":"https://login.microsoftonline.com/contoso.onmicrosoft.com","clientSecret":"0123456789abcdef"},"cache":{"store":{}}}"#;

/// Entra's sample success (3599 s).
pub fn success() -> Vec<u8> {
    fixture("entra_success.json")
}

/// Deterministic "randomness".
pub enum Random {
    /// Bytes counting up from 1 across every draw.
    Counter(u8),
    /// Every u32 drawn is this one.
    Fixed(u32),
    /// None: the runtime's `crypto.getRandomValues` fails.
    None,
}

impl Entropy for Random {
    fn fill(&mut self, out: &mut [u8]) -> bool {
        match self {
            Random::Counter(n) => {
                for b in out.iter_mut() {
                    *n = n.wrapping_add(1);
                    *b = *n;
                }
            }
            Random::Fixed(r) => {
                for (b, r) in out.iter_mut().zip(r.to_le_bytes().iter().cycle()) {
                    *b = *r;
                }
            }
            Random::None => return false,
        }
        true
    }
}

/// How a scripted store read ends.
pub enum Read {
    /// As the store holds it (what an unscripted read does).
    FromStore,
    Fails(&'static str),
    Hangs,
}

/// What performing an action led to.
enum Step {
    Report(Outcome),
    Continue,
    Done(Result<Answer, Error>),
}

/// Plays acquisitions against scripted answers on a simulated clock.
pub struct Harness {
    pub client: Client,
    pub clock: u64,
    pub store: HashMap<String, String>,
    /// Leases by key: until when they are held.
    pub leases: HashMap<String, u64>,
    /// An entry another process writes at a given time: (when, key, value).
    pub appears: Option<(u64, String, String)>,
    /// Lease calls fail with this text.
    pub lease_fails: Option<&'static str>,
    pub reads: VecDeque<Read>,
    pub answers: VecDeque<Result<HttpResponse, Error>>,
    /// What a token request takes.
    pub send_ms: u64,
    /// When each token request was sent.
    pub sent: Vec<u64>,
    /// Each token request, as sent.
    pub requests: Vec<HttpRequest>,
    /// What reading a file gives, by path (Azure Arc's key); a missing path is not found.
    pub files: HashMap<String, Result<String, FileError>>,
    pub entropy: Random,
    trace: Vec<String>,
    /// The log lines of the trace [`Harness::steps`] took last.
    pub logs: Vec<String>,
}

fn short(key: &str) -> &'static str {
    if key.ends_with(":outcome") {
        "outcome"
    } else {
        "entry"
    }
}

impl Harness {
    pub fn new(config: &str) -> Self {
        Self::with(client(config))
    }

    pub fn with(client: Client) -> Self {
        Harness {
            client,
            clock: T0,
            store: HashMap::new(),
            leases: HashMap::new(),
            appears: None,
            lease_fails: None,
            reads: VecDeque::new(),
            answers: VecDeque::new(),
            send_ms: STEP_MS,
            sent: Vec::new(),
            requests: Vec::new(),
            files: HashMap::new(),
            entropy: Random::Counter(0),
            trace: Vec::new(),
            logs: Vec::new(),
        }
    }

    pub fn answer(&mut self, status: u16, headers: &[(&str, &str)], body: &[u8]) -> &mut Self {
        self.answers.push_back(Ok(response(status, headers, body)));
        self
    }

    /// A token request that gets no answer in time.
    pub fn time_out(&mut self) -> &mut Self {
        self.answers
            .push_back(Err(Error::network("timeout", "no answer")));
        self
    }

    pub fn request(&self, claims: Option<&str>) -> Prepared {
        let raw = JsonRequest {
            scopes: Some(vec!["https://graph.microsoft.com/.default".into()]),
            claims: claims.map(str::to_owned),
            ..Default::default()
        };
        self.client
            .prepare(raw, "11111111-2222-4333-8444-555555555555".into())
            .unwrap()
    }

    /// Performs one action as the shell would, moving the clock.
    fn perform(&mut self, action: Action) -> Step {
        Step::Report(match action {
            Action::Read { key, within_ms } => {
                self.trace
                    .push(format!("read {} within {within_ms}", short(&key)));
                match self.reads.pop_front() {
                    Some(Read::Hangs) => {
                        self.clock += within_ms;
                        Outcome::TimedOut
                    }
                    Some(Read::Fails(why)) => {
                        self.clock += STEP_MS;
                        Outcome::Read(Err(why.to_owned()))
                    }
                    Some(Read::FromStore) | None => {
                        self.clock += STEP_MS;
                        if let Some((at, k, v)) = self.appears.clone() {
                            if self.clock >= at {
                                self.store.insert(k, v);
                                self.appears = None;
                            }
                        }
                        let value = self.store.get(&key).cloned();
                        Outcome::Read(self.client.opened(&key, Ok(value)))
                    }
                }
            }
            Action::Sign { within_ms, .. } => {
                self.trace.push(format!("sign within {within_ms}"));
                self.clock += within_ms;
                Outcome::TimedOut
            }
            Action::Assert { within_ms } => {
                // A callback that never returns.
                self.trace.push(format!("assert within {within_ms}"));
                self.clock += within_ms;
                Outcome::TimedOut
            }
            Action::Send {
                request,
                timeout_ms,
                ..
            } => {
                assert!(
                    matches!(request.method, "POST" | "GET"),
                    "{}",
                    request.method
                );
                self.trace.push(format!("send timeout {timeout_ms}"));
                self.sent.push(self.clock);
                self.requests.push(request);
                self.clock += self.send_ms;
                Outcome::Received(self.answers.pop_front().expect("a scripted answer"))
            }
            Action::ReadFile {
                path,
                max_bytes,
                within_ms,
            } => {
                self.trace.push(format!(
                    "read file {path} max {max_bytes} within {within_ms}"
                ));
                self.clock += STEP_MS;
                let read = self.files.get(&path).cloned();
                Outcome::FileRead(match read {
                    Some(Ok(text)) if text.len() as u64 > max_bytes => Err(FileError::TooLarge),
                    Some(read) => read.map(ClientSecret::new),
                    None => Err(FileError::NotFound),
                })
            }
            Action::Sleep { ms } => {
                self.trace.push(format!("sleep {ms}"));
                self.clock += ms;
                Outcome::Slept
            }
            Action::Lease { key, ttl_ms, .. } => {
                self.clock += STEP_MS;
                if let Some(why) = self.lease_fails {
                    self.trace.push("lease failed".to_owned());
                    return Step::Report(Outcome::Leased(Err(why.to_owned())));
                }
                let free = self
                    .leases
                    .get(&key)
                    .is_none_or(|until| *until <= self.clock);
                if free {
                    self.leases.insert(key, self.clock + ttl_ms);
                }
                self.trace
                    .push(format!("lease {}", if free { "taken" } else { "held" }));
                Outcome::Leased(Ok(free))
            }
            Action::Release { key } => {
                self.trace.push("release".to_owned());
                self.leases.remove(&key);
                return Step::Continue;
            }
            Action::Write(w) => {
                self.trace
                    .push(format!("write {} ttl {}", short(&w.key), w.ttl_seconds));
                let value = self.client.sealed_value(&w).expect("seals");
                self.store.insert(w.key, value);
                return Step::Continue;
            }
            Action::Log { level, message } => {
                self.trace
                    .push(format!("log {}: {message}", level.as_str()));
                return Step::Continue;
            }
            Action::Done(result) => {
                self.trace.push(match &result {
                    Ok(a) => format!("done {}", a.source.as_str()),
                    Err(e) => format!("done error {}", e.code()),
                });
                return Step::Done(result);
            }
        })
    }

    /// Runs `acq` to its end.
    pub fn run(&mut self, mut acq: Acquisition) -> Result<Answer, Error> {
        self.drive(&mut acq)
    }

    /// As [`Harness::run`], leaving the acquisition to the caller to inspect.
    pub fn drive(&mut self, acq: &mut Acquisition) -> Result<Answer, Error> {
        loop {
            let action = acq.poll(&mut self.client, self.clock, &mut self.entropy);
            match self.perform(action) {
                Step::Done(result) => return result,
                Step::Continue => {}
                Step::Report(outcome) => {
                    acq.handle(&mut self.client, outcome, self.clock, &mut self.entropy)
                }
            }
        }
    }

    /// Everything since the last call, log lines included, in order.
    pub fn take_trace(&mut self) -> Vec<String> {
        std::mem::take(&mut self.trace)
    }

    /// What the shell performed since the last call; the log lines go to [`Harness::logs`].
    pub fn steps(&mut self) -> Vec<String> {
        let (logs, steps) = self
            .take_trace()
            .into_iter()
            .partition(|t| t.starts_with("log "));
        self.logs = logs;
        steps
    }

    /// Whether `line` is a log line of the last [`Harness::steps`].
    pub fn logged(&self, line: &str) -> bool {
        self.logs.iter().any(|l| l == line)
    }

    /// Whether a log line of the last [`Harness::steps`] contains `text`.
    pub fn logged_text(&self, text: &str) -> bool {
        self.logs.iter().any(|l| l.contains(text))
    }

    /// When each token request was sent, from `T0`.
    pub fn sent_since_t0(&self) -> Vec<u64> {
        self.sent.iter().map(|at| at - T0).collect()
    }
}
