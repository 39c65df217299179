//! The shared store behind the memory level: a trait any daemon's store can implement, and an
//! in-process [`MemoryStore`] (for several clients in one process, and tests).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// A store operation: its value, or why it failed (a sentence for the log, never a value).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, String>> + Send + 'a>>;

/// A KV-shaped store shared by clients, as the JS package's `cache.store`: it holds sealed
/// entries (AES-256-GCM envelopes, never a clear token) and `Retry-After` windows under
/// `cache.keyPrefix` keys.
///
/// A store that can lease (an atomic set-if-absent with expiry, as Redis `SET NX PX`) returns
/// `true` from [`Store::leases`]: a fleet sharing it then makes one token request per key.
/// A store that fails or does not answer costs an acquisition at most its share of
/// `system.deadlineMs`, and is logged; it never turns a token into an error.
pub trait Store: Send + Sync + 'static {
    /// The value under `key`, `None` when absent or expired.
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>>;
    /// Puts `value` under `key` for `ttl_seconds` (at least 60, as Workers KV).
    fn put<'a>(&'a self, key: &'a str, value: &'a str, ttl_seconds: u64) -> StoreFuture<'a, ()>;
    /// Deletes `key`.
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()>;
    /// Whether [`Store::lease`] and [`Store::release`] coordinate: read once, at construction.
    fn leases(&self) -> bool {
        false
    }
    /// Takes the lease on `key` for `ttl_ms` if nobody holds it: `true` when taken.
    fn lease<'a>(&'a self, _key: &'a str, _ttl_ms: u64) -> StoreFuture<'a, bool> {
        Box::pin(async { Ok(false) })
    }
    /// Releases the lease on `key` if this store still holds it.
    fn release<'a>(&'a self, _key: &'a str) -> StoreFuture<'a, ()> {
        Box::pin(async { Ok(()) })
    }
}

/// A store in this process's memory, with expiry and leases: several clients in one process
/// share tokens and make one token request per key. A release removes the key's lease
/// whoever holds it (the clients share this one store, so it cannot tell them apart): a holder
/// that outlived its lease may end the next one's early, which costs a token request, never a
/// wrong token.
#[derive(Debug, Default)]
pub struct MemoryStore {
    entries: Mutex<HashMap<String, (String, Instant)>>,
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, (String, Instant)>) -> T) -> T {
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = Instant::now();
        entries.retain(|_, (_, until)| *until > now);
        f(&mut entries)
    }
}

impl Store for MemoryStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>> {
        let value = self.with(|e| e.get(key).map(|(v, _)| v.clone()));
        Box::pin(async move { Ok(value) })
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a str, ttl_seconds: u64) -> StoreFuture<'a, ()> {
        let until = Instant::now() + Duration::from_secs(ttl_seconds);
        self.with(|e| e.insert(key.to_owned(), (value.to_owned(), until)));
        Box::pin(async { Ok(()) })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.with(|e| e.remove(key));
        Box::pin(async { Ok(()) })
    }

    fn leases(&self) -> bool {
        true
    }

    fn lease<'a>(&'a self, key: &'a str, ttl_ms: u64) -> StoreFuture<'a, bool> {
        let until = Instant::now() + Duration::from_millis(ttl_ms.max(1));
        let taken = self.with(|e| {
            let free = !e.contains_key(key);
            if free {
                e.insert(key.to_owned(), (String::new(), until));
            }
            free
        });
        Box::pin(async move { Ok(taken) })
    }

    fn release<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        self.delete(key)
    }
}

/// One store shared by several clients (and kept by the daemon, e.g. to inspect it).
impl<S: Store> Store for std::sync::Arc<S> {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>> {
        (**self).get(key)
    }
    fn put<'a>(&'a self, key: &'a str, value: &'a str, ttl_seconds: u64) -> StoreFuture<'a, ()> {
        (**self).put(key, value, ttl_seconds)
    }
    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        (**self).delete(key)
    }
    fn leases(&self) -> bool {
        (**self).leases()
    }
    fn lease<'a>(&'a self, key: &'a str, ttl_ms: u64) -> StoreFuture<'a, bool> {
        (**self).lease(key, ttl_ms)
    }
    fn release<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        (**self).release(key)
    }
}
