//! What the cache did since the client was built (`app.stats()`): counters the acquisition
//! machine's steps increment. Numbers only: nothing here can hold a token, a secret, a tenant
//! or a client id.

use serde::Serialize;

use crate::cache::TokenSource;

/// Results handed to callers, by `tokenSource`.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Results {
    /// Answered by the memory level.
    pub memory: u64,
    /// Answered by `cache.store`.
    pub store: u64,
    /// A token request was made for the result.
    pub identity_provider: u64,
}

/// The fleet lease, as this client met it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Leases {
    /// Leases this client took (it then requested the token).
    pub taken: u64,
    /// Acquisitions that found the lease held and waited for the holder's token.
    pub waited: u64,
    /// Waits that ended without the holder's token: the lease ran out or the wait's time did.
    pub expired: u64,
}

/// The counters `app.stats()` returns, every one present from the start.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Stats {
    /// Results by source.
    pub results: Results,
    /// Token requests sent (each attempt counts).
    pub token_requests: u64,
    /// Attempts after a failed one.
    pub retries: u64,
    /// Token requests not sent because a `Retry-After` window was open.
    pub throttled_refusals: u64,
    /// Still-valid tokens served because the token request failed (stale-if-error).
    pub stale_serves: u64,
    /// Store reads and lease requests that failed or did not answer in time.
    pub store_read_failures: u64,
    /// Store writes that failed.
    pub store_write_failures: u64,
    /// The lease.
    pub leases: Leases,
    /// Tokens the memory level dropped to stay within `cache.maxEntries`.
    pub memory_evictions: u64,
    /// Keys in the memory level now.
    pub cached_keys: u64,
}

impl Stats {
    /// One result handed to a caller.
    pub fn served(&mut self, source: TokenSource) {
        let count = match source {
            TokenSource::Memory => &mut self.results.memory,
            TokenSource::Store => &mut self.results.store,
            TokenSource::IdentityProvider => &mut self.results.identity_provider,
        };
        *count += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_is_present_from_the_start_and_named_as_the_api_says() {
        let json = serde_json::to_value(Stats::default()).unwrap_or_default();
        assert_eq!(
            json,
            serde_json::json!({
                "results": { "memory": 0, "store": 0, "identityProvider": 0 },
                "tokenRequests": 0, "retries": 0, "throttledRefusals": 0, "staleServes": 0,
                "storeReadFailures": 0, "storeWriteFailures": 0,
                "leases": { "taken": 0, "waited": 0, "expired": 0 },
                "memoryEvictions": 0, "cachedKeys": 0
            })
        );
    }
}
