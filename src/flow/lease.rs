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
//! - The holder releases the lease when it is done, unless the lease's life has passed (a
//!   retry took longer): it ended by itself and may be another caller's by then.

use super::{Acquisition, Action, Kind, Level, State};
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
    /// Whether this acquisition goes through the lease step. A `skipCache` or claims load
    /// does not: the holder's entry is not the token it asked for.
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
        self.state = State::Leasing {
            within_ms,
            asked_ms: now_ms,
        };
        Action::Lease {
            key: client.lease_key(&self.p),
            ttl_ms: Self::lease_ttl(client),
            within_ms,
        }
    }

    /// The answer to the lease request asked for at `asked_ms`: taken or not, or why there is
    /// none.
    pub(super) fn leased(
        &mut self,
        client: &mut Client<T>,
        taken: Result<bool, String>,
        asked_ms: u64,
        now_ms: u64,
    ) {
        match taken {
            Ok(true) => {
                // The store set it no earlier than it was asked: it ends no earlier than this.
                self.lease_until_ms = Some(asked_ms.saturating_add(Self::lease_ttl(client)));
                self.state = State::Attempt;
            }
            Ok(false) if self.kind == Kind::Refresh => {
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
            Ok(false) => {
                self.log(
                    Level::Verbose,
                    "another process holds this token's lease: waiting for the token it writes",
                );
                self.state = State::Waiting {
                    until_ms: self.wait_end(client, now_ms),
                };
            }
            Err(why) => {
                self.log(
                    Level::Warning,
                    &format!("{why}; requesting the token without a lease"),
                );
                self.state = State::Attempt;
            }
        }
    }

    /// Waiting for another holder's entry ends by this time at the latest.
    fn half_deadline(&self, client: &Client<T>) -> u64 {
        self.started_ms + client.config().retry.deadline_ms / 2
    }

    /// Until when to wait for the holder's entry: its lease's end, within half the deadline.
    fn wait_end(&self, client: &Client<T>, now_ms: u64) -> u64 {
        now_ms
            .saturating_add(Self::lease_ttl(client))
            .min(self.half_deadline(client))
    }

    /// A read of the entry while waiting.
    pub(super) fn waited(
        &mut self,
        client: &mut Client<T>,
        value: Result<Option<String>, String>,
        until_ms: u64,
        now_ms: u64,
    ) {
        if let Some(value) =
            self.store_value(value, "still waiting for the token the lease holder writes")
        {
            if self.open_entry(client, &value, now_ms) {
                return;
            }
        }
        if now_ms < until_ms {
            self.poll_ms = (self.poll_ms * 2).min(MAX_POLL_MS);
            self.state = State::Waiting { until_ms };
        } else if now_ms < self.half_deadline(client) {
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

    /// Releases the lease this acquisition holds, after the writes queued before. A lease past
    /// its life has ended by itself and may be another caller's by now: releasing it would
    /// let a third one in while that one requests.
    pub(super) fn release(&mut self, client: &Client<T>, now_ms: u64) {
        if let Some(until_ms) = self.lease_until_ms.take() {
            if now_ms < until_ms {
                self.queue.push_back(Action::Release {
                    key: client.lease_key(&self.p),
                });
            }
        }
    }
}
