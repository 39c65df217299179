//! The native driver's half of an acquisition: performs what the core's [`Acquisition`] asks
//! (store reads, signatures, the assertion callback, the token request, timers, store writes,
//! leases, log lines) and reports each outcome with the time, as `src/wasm/drive.rs` does for
//! JavaScript. Every awaited step is bounded by the time the machine gave it.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::client::{now_ms, Inner};
use super::http::send;
use crate::client::{Answer, StoreWrite};
use crate::error::Error;
use crate::flow::{Acquisition, Action, Entropy, Level, Outcome};
use crate::managed_identity::FileError;
use crate::token::{asserted, AssertionContext};

/// The operating system's random generator.
struct OsEntropy;

impl Entropy for OsEntropy {
    fn fill(&mut self, out: &mut [u8]) -> bool {
        getrandom::fill(out).is_ok()
    }
}

impl Inner {
    /// Runs `acq` to its end.
    pub(super) async fn drive(self: Arc<Self>, mut acq: Acquisition) -> Result<Answer, Error> {
        // Store writes started, which a lease release waits for.
        let mut writes: Vec<JoinHandle<()>> = Vec::new();
        loop {
            let action = acq.poll(&mut self.core(), now_ms(), &mut OsEntropy);
            let outcome = match action {
                Action::Read { key, within_ms } => self.read(key, within_ms).await,
                Action::Sign {
                    input,
                    alg,
                    within_ms: _,
                } => Outcome::Signed(match &self.rsa {
                    // Signing is CPU work of about a millisecond: nothing to wait for.
                    Some(rsa) => rsa.sign(&input, alg),
                    None => Err(Error::config(
                        "invalid_certificate",
                        "no RSA key for this credential",
                    )),
                }),
                Action::Assert { within_ms } => {
                    let endpoint = acq.request().target.token_endpoint.clone();
                    self.call_assertion(endpoint, within_ms).await
                }
                Action::Send {
                    request,
                    timeout_ms,
                    by_deadline,
                } => Outcome::Received(send(&self.http, &request, timeout_ms, by_deadline).await),
                // This driver builds no managed identity, so no key file is asked for.
                Action::ReadFile { .. } => Outcome::FileRead(Err(FileError::Unsupported)),
                Action::Sleep { ms } => {
                    tokio::time::sleep(Duration::from_millis(ms)).await;
                    Outcome::Slept
                }
                Action::Write(write) => {
                    writes.extend(self.write_store(write));
                    continue;
                }
                Action::Lease {
                    key,
                    ttl_ms,
                    within_ms,
                } => self.lease(key, ttl_ms, within_ms).await,
                Action::Release { key } => {
                    self.release(key, std::mem::take(&mut writes));
                    continue;
                }
                Action::Log { level, message } => {
                    self.log(level, &message);
                    continue;
                }
                Action::Done(done) => return done,
            };
            acq.handle(&mut self.core(), outcome, now_ms(), &mut OsEntropy);
        }
    }

    /// `cache.store.get(key)`, given up after `within_ms`.
    async fn read(&self, key: String, within_ms: u64) -> Outcome {
        let Some(store) = &self.store else {
            return Outcome::Read(Ok(None));
        };
        self.note_key(&key);
        match within(store.get(&key), within_ms).await {
            None => Outcome::TimedOut,
            Some(read) => Outcome::Read(self.core().opened(&key, read)),
        }
    }

    /// The assertion callback, once per token request, given up after `within_ms`.
    async fn call_assertion(&self, token_endpoint: String, within_ms: u64) -> Outcome {
        let Some(callback) = &self.assertion else {
            return asserted::<()>(Some(Err(())));
        };
        let ctx = AssertionContext {
            client_id: self.core().config().client_id.clone(),
            token_endpoint,
        };
        asserted(within(callback(ctx), within_ms).await)
    }

    /// Writes in the background: a caller never waits for the store. A write gets the
    /// deadline, so a hung store leaks no task.
    fn write_store(self: &Arc<Self>, write: StoreWrite) -> Option<JoinHandle<()>> {
        let store = self.store.clone()?;
        // AES-GCM in software here: the aes crate uses AES-NI where the CPU has it.
        let value = self.core().sealed_value(&write)?;
        self.note_key(&write.key);
        let me = self.clone();
        let within_ms = self.core().config().retry.deadline_ms;
        Some(tokio::spawn(async move {
            let put = store.put(&write.key, &value, write.ttl_seconds);
            let failed = match within(put, within_ms).await {
                Some(Ok(())) => return,
                Some(Err(why)) => why,
                None => format!("cache.store.put did not answer within {within_ms} ms"),
            };
            me.log(
                Level::Warning,
                &format!("{failed}; the token stays cached in memory"),
            );
        }))
    }

    /// `lease(key, ttlMs)`, given up after `within_ms`.
    async fn lease(&self, key: String, ttl_ms: u64, within_ms: u64) -> Outcome {
        let Some(store) = &self.store else {
            return Outcome::Leased(Ok(false));
        };
        within(store.lease(&key, ttl_ms), within_ms)
            .await
            .map_or(Outcome::TimedOut, Outcome::Leased)
    }

    /// Releases `key` once `writes` have finished, in the background.
    fn release(self: &Arc<Self>, key: String, writes: Vec<JoinHandle<()>>) {
        let Some(store) = self.store.clone() else {
            return;
        };
        let me = self.clone();
        let within_ms = self.core().config().retry.deadline_ms;
        tokio::spawn(async move {
            for write in writes {
                let _ = write.await;
            }
            let failed = match within(store.release(&key), within_ms).await {
                Some(Ok(())) => return,
                Some(Err(why)) => why,
                None => format!("cache.store.release did not answer within {within_ms} ms"),
            };
            me.log(
                Level::Warning,
                &format!("{failed}; the lease ends by itself"),
            );
        });
    }
}

/// `work`'s output, or `None` when it took longer than `ms`.
async fn within<T>(work: impl Future<Output = T>, ms: u64) -> Option<T> {
    tokio::time::timeout(Duration::from_millis(ms), work)
        .await
        .ok()
}
