//! The Rust drivers' fast path in front of the core's memory level: the core's fresh answers,
//! repeated until their `serve_until` without validating and hashing the request again.
//! Entries are keyed by the core's cache key, which every answer is for, so whatever the core
//! replaces under a key (a `skipCache` or claims answer) replaces the memo's entry for every
//! spelling of the request; requests as written find that key through an alias (as the JS
//! layer's memo does). Bounded by `cache.maxEntries`, like the level it fronts.

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::cache::{CachedToken, Shared};
use crate::token::Ask;

/// How many spellings of a request are remembered per entry the memo may hold.
const ALIASES_PER_ENTRY: usize = 4;

/// The memo of one client. `S` hashes the aliases (requests as written).
#[derive(Debug)]
pub(crate) struct Memo<S> {
    /// The core's cache key -> its fresh token and until when it may be repeated.
    entries: HashMap<String, (Shared<CachedToken>, u64)>,
    /// A request as written -> the core's cache key it was answered under.
    aliases: HashMap<Ask, String, S>,
    bound: usize,
}

impl<S: BuildHasher> Memo<S> {
    /// An empty memo holding at most `bound` entries.
    pub(crate) fn new(bound: usize, hasher: S) -> Self {
        Memo {
            entries: HashMap::new(),
            aliases: HashMap::with_hasher(hasher),
            bound: bound.max(1),
        }
    }

    /// The token the core answered `ask` with, while it may still be repeated at `now_ms`.
    pub(crate) fn get(&self, ask: &Ask, now_ms: u64) -> Option<Shared<CachedToken>> {
        let (token, until) = self.entries.get(self.aliases.get(ask)?)?;
        (now_ms < *until).then(|| token.clone())
    }

    /// Remembers that the core answered `ask` under `key` with `token`, fresh until `until`.
    pub(crate) fn put(&mut self, ask: &Ask, key: &str, token: &Shared<CachedToken>, until: u64) {
        // Past a bound, start over: the core keeps its own level; this is only its fast path.
        if self.entries.len() >= self.bound && !self.entries.contains_key(key) {
            self.entries.clear();
        }
        if self.aliases.len() >= ALIASES_PER_ENTRY * self.bound && !self.aliases.contains_key(ask) {
            self.aliases.clear();
        }
        self.entries.insert(key.to_owned(), (token.clone(), until));
        if self.aliases.get(ask).map(String::as_str) != Some(key) {
            self.aliases.insert(ask.clone(), key.to_owned());
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.aliases.clear();
    }
}
