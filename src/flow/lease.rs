//! The lease step: with a store that can lease (`lease(key, ttlMs)` / `release(key)`: Redis's
//! `SET NX PX`, a Durable Object), one caller per key across a fleet requests the token.
//!
//! - After a store miss, a load asks for the key's lease. Taken: it reads the entry once more
//!   (another caller may have taken the lease, written the entry and released it between this
//!   one's read and its lease: on a loaded machine that gap is long enough), and only on a
//!   miss requests the token, writes the entry (or, when it fails, its failure record: see
//!   [`crate::outcome`]), then releases.
//! - Not taken: it waits, reading the entry now and then (from 25 ms, doubling to 400 ms), and
//!   asks for the lease again after each miss. The lease comes free when its holder released
//!   it or died (the lease ends by itself `system.timeoutMs` plus one second after it was
//!   taken). Taking it over, the waiter reads the entry once more (a holder writes it before
//!   it releases, possibly just after the waiter's last read) and then the failure record: a
//!   holder that failed left its error there (or a `Retry-After` window), and the waiter ends
//!   with it at once, with no request of its own; otherwise (the holder died) it requests the
//!   token itself, so a dead holder costs one more request, not one per waiter. Waiting is bounded by half the
//!   deadline; past it the caller requests the token itself.
//! - A background refresh asks for the lease too; not taken, another process is refreshing,
//!   and this one postpones its own refresh by the lease's life (its next attempt reads the
//!   entry that process wrote).
//! - A lease that cannot be asked for (the store failed or ran out of its share) is logged and
//!   skipped: never an error because of the lease.
//! - The holder releases the lease when it is done, unless the lease's life has passed (a
//!   retry took longer): it ended by itself and may be another caller's by then.

use super::{Acquisition, Action, Kind, Level, Opened, State};
use crate::client::Client;
use crate::error::Error;
use crate::secret::TokenText;

/// The first wait between reads of the entry while another caller holds the lease.
pub(super) const FIRST_POLL_MS: u64 = 25;
/// The longest such wait.
const MAX_POLL_MS: u64 = 400;

impl<T: TokenText> Acquisition<T> {
    /// Whether this acquisition goes through the lease step. A `skipCache` or claims load
    /// does not: the holder's entry is not the token it asked for.
    pub(super) fn leases(&self, client: &Client<T>) -> bool {
        client.config().lease && (self.kind == Kind::Refresh || !self.p.bypass_cache)
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
            ttl_ms: client.lease_ttl_ms(),
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
                let leases = &mut client.stats_mut().leases;
                leases.taken += 1;
                if self.waited {
                    leases.expired += 1;
                }
                // The store set it no earlier than it was asked: it ends no earlier than this.
                self.lease_until_ms = Some(asked_ms.saturating_add(client.lease_ttl_ms()));
                // The entry read before this lease may predate a holder's write: one may have
                // taken the lease, written the entry and released it since (first ask or not).
                self.state = State::Taken;
            }
            Ok(false) if self.kind == Kind::Refresh => {
                client.defer_refresh(&self.p, now_ms, Some(client.lease_ttl_ms()));
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
                if !self.waited {
                    self.waited = true;
                    client.stats_mut().leases.waited += 1;
                    self.log(
                        Level::Verbose,
                        "another process holds this token's lease: waiting for the token it writes",
                    );
                } else {
                    self.poll_ms = (self.poll_ms * 2).min(MAX_POLL_MS);
                }
                self.state = State::Waiting;
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

    /// A read of the entry while waiting: the answer, or ask for the lease again.
    pub(super) fn waited(
        &mut self,
        client: &mut Client<T>,
        value: Result<Option<Opened>, String>,
        now_ms: u64,
    ) {
        let then = if value.is_ok() {
            "still waiting for the token the lease holder writes"
        } else {
            "requesting the token instead of waiting for the lease holder"
        };
        if let Some(value) = self.store_value(value, then) {
            if self.open_entry(client, value, now_ms) {
                return;
            }
        }
        if now_ms >= self.half_deadline(client) {
            client.stats_mut().leases.expired += 1;
            self.log(
                Level::Warning,
                "the lease holder wrote no token within half of system.deadlineMs; requesting it without a lease",
            );
            self.state = State::Attempt;
        } else {
            self.state = State::Lease;
        }
    }

    /// The failure record read after taking over a lease: the holder's error ends this
    /// acquisition (stale-if-error still applies), a window is adopted (the attempt then
    /// refuses), and nothing means the holder died: request the token.
    pub(super) fn holder_outcome(
        &mut self,
        client: &mut Client<T>,
        value: Result<Option<Opened>, String>,
        now_ms: u64,
    ) {
        self.state = State::Attempt;
        // Values that do not open (written without the sealing key) tell nothing.
        let Some(Ok(plain)) = self.store_value(value, "requesting the token") else {
            return;
        };
        if let Some(err) = client.read_outcome(&self.p, &plain, now_ms) {
            self.log(
                Level::Warning,
                "the lease holder's token request failed: ending with its error",
            );
            self.fail(client, err, now_ms);
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
