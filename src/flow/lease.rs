//! The lease step: with a store that can lease (`lease(key, ttlMs)` / `release(key)`: Redis's
//! `SET NX PX`, a Durable Object), one caller per key across a fleet requests the token.
//!
//! - After a store miss, a load asks for the key's lease. Taken: it requests the token, writes
//!   the entry, then releases. Not taken: it reads the entry now and then until the lease ends
//!   (`system.timeoutMs` plus one second after it saw it taken), then contends again, so a
//!   holder that died costs one more request, not one per waiter. Waiting is bounded by half
//!   the deadline; past it the caller requests the token itself.
//! - A background refresh asks for the lease too; not taken, another process is refreshing,
//!   and this one postpones its own refresh by the lease's life (its next attempt reads the
//!   entry that process wrote).
//! - A lease that cannot be asked for (the store failed or took longer than its share) is
//!   logged and skipped: never an error because of the lease.

use super::{Acquisition, Action, Kind, Level, Outcome, State};
use crate::client::Client;
use crate::error::Error;
use crate::secret::TokenText;

/// The first wait between reads of the entry while another caller holds the lease.
pub(super) const FIRST_POLL_MS: u64 = 25;
/// The longest such wait.
const MAX_POLL_MS: u64 = 400;
/// How much longer than one attempt's timeout a lease lives.
const LEASE_MARGIN_MS: u64 = 1000;

impl<T: TokenText> Acquisition<T> {
    /// Whether this acquisition goes through the lease step.
    pub(super) fn leases(&self, client: &Client<T>) -> bool {
        let config = client.config();
        config.store && config.lease && (self.kind == Kind::Refresh || !self.p.bypass_cache)
    }

    fn lease_ttl(client: &Client<T>) -> u64 {
        client.config().retry.timeout_ms + LEASE_MARGIN_MS
    }

    /// Asks for the lease.
    pub(super) fn lease(&mut self, client: &Client<T>, now_ms: u64) -> Action<T> {
        let within_ms = self.store_share(client, now_ms);
        self.state = State::Leasing { within_ms };
        Action::Lease {
            key: client.lease_key(&self.p),
            ttl_ms: Self::lease_ttl(client),
            within_ms,
        }
    }

    /// The answer to the lease request.
    pub(super) fn leased(
        &mut self,
        client: &mut Client<T>,
        outcome: Outcome,
        within_ms: u64,
        now_ms: u64,
    ) {
        match outcome {
            Outcome::Leased(Ok(true)) => {
                self.holds_lease = true;
                self.state = State::Attempt;
            }
            Outcome::Leased(Ok(false)) if self.kind == Kind::Refresh => {
                client.defer_refresh(&self.p, now_ms, Some(Self::lease_ttl(client)));
                self.log(
                    Level::Verbose,
                    "another process holds this token's lease and is refreshing it",
                );
                self.finish(Err(Error::network(
                    "refresh_leased",
                    "another process is refreshing this token",
                )));
            }
            Outcome::Leased(Ok(false)) => {
                self.log(
                    Level::Verbose,
                    "another process holds this token's lease: waiting for the token it writes",
                );
                self.state = State::Waiting {
                    until_ms: self.wait_end(client, now_ms),
                };
            }
            Outcome::Leased(Err(why)) => {
                self.log(
                    Level::Warning,
                    &format!("{why}; requesting the token without a lease"),
                );
                self.state = State::Attempt;
            }
            _ => {
                self.log(
                    Level::Warning,
                    &format!(
                        "cache.store.lease did not answer within {within_ms} ms; requesting the token without a lease"
                    ),
                );
                self.state = State::Attempt;
            }
        }
    }

    /// Until when to wait for the holder's entry: its lease's end, within half the deadline.
    fn wait_end(&self, client: &Client<T>, now_ms: u64) -> u64 {
        let half_deadline = self.started_ms + client.config().retry.deadline_ms / 2;
        now_ms
            .saturating_add(Self::lease_ttl(client))
            .min(half_deadline)
    }

    /// A read of the entry while waiting.
    pub(super) fn waited(
        &mut self,
        client: &mut Client<T>,
        outcome: Outcome,
        until_ms: u64,
        now_ms: u64,
    ) {
        if let Outcome::Read(Ok(Some(value))) = outcome {
            if let Ok(Some((token, freshness))) = client.open_stored(&self.p, &value, now_ms) {
                self.log(
                    Level::Verbose,
                    "token served from cache.store, written by the lease holder",
                );
                let answer = client.answer(token, crate::cache::TokenSource::Store, freshness);
                return self.finish(Ok(answer));
            }
        }
        if now_ms < until_ms {
            self.poll_ms = (self.poll_ms * 2).min(MAX_POLL_MS);
            self.state = State::Waiting { until_ms };
        } else if now_ms < self.started_ms + client.config().retry.deadline_ms / 2 {
            // The holder gave no entry in its lease's life (it died, or failed): contend again.
            self.poll_ms = FIRST_POLL_MS;
            self.state = State::Lease;
        } else {
            self.log(
                Level::Warning,
                "the lease holder wrote no token within half of system.deadlineMs; requesting it without a lease",
            );
            self.state = State::Attempt;
        }
    }

    /// Releases the lease this acquisition holds, after the writes queued before.
    pub(super) fn release(&mut self, client: &Client<T>) {
        if self.holds_lease {
            self.holds_lease = false;
            self.queue.push_back(Action::Release {
                key: client.lease_key(&self.p),
            });
        }
    }
}
