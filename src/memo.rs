//! The Rust drivers' fast path in front of the core's memory level: the core's fresh answers,
//! repeated until their `serve_until` without validating and hashing the request again.
//! Entries are kept per core cache key, which every answer is for, so whatever the core replaces
//! under a key (a `skipCache` or claims answer) replaces what every spelling of the request
//! gets; requests as written point at that entry through an alias (as the JS layer's memo
//! does). A hit is one lookup. Bounded by `cache.maxEntries`, like the level it fronts.

use std::collections::HashMap;
use std::hash::BuildHasher;

use crate::cache::{CachedToken, Shared};
use crate::token::Ask;

/// How many spellings of a request are remembered per entry the memo may hold.
const ALIASES_PER_ENTRY: usize = 4;

/// The memo of one client. `S` hashes its keys.
#[derive(Debug)]
pub(crate) struct Memo<S> {
    /// Fresh tokens and until when they may be repeated, one per core cache key.
    entries: Vec<(Shared<CachedToken>, u64)>,
    /// The core's cache key -> its entry.
    slots: HashMap<String, usize, S>,
    /// A request as written -> the entry of the key it was answered under.
    aliases: HashMap<Ask, usize, S>,
    bound: usize,
}

impl<S: BuildHasher + Clone> Memo<S> {
    /// An empty memo holding at most `bound` entries.
    pub(crate) fn new(bound: usize, hasher: S) -> Self {
        Memo {
            entries: Vec::new(),
            slots: HashMap::with_hasher(hasher.clone()),
            aliases: HashMap::with_hasher(hasher),
            bound: bound.max(1),
        }
    }

    /// The token the core answered `ask` with, while it may still be repeated at `now_ms`.
    pub(crate) fn get(&self, ask: &Ask, now_ms: u64) -> Option<Shared<CachedToken>> {
        let (token, until) = self.entries.get(*self.aliases.get(ask)?)?;
        (now_ms < *until).then(|| token.clone())
    }

    /// Remembers that the core answered `ask` under `key` with `token`, fresh until `until`.
    pub(crate) fn put(&mut self, ask: &Ask, key: &str, token: &Shared<CachedToken>, until: u64) {
        let entry = (token.clone(), until);
        let slot = match self.slots.get(key) {
            Some(&slot) => {
                self.entries[slot] = entry;
                slot
            }
            None => {
                // Past the bound, start over: the core keeps its own level; this is its fast path.
                if self.entries.len() >= self.bound {
                    self.clear();
                }
                self.entries.push(entry);
                self.slots.insert(key.to_owned(), self.entries.len() - 1);
                self.entries.len() - 1
            }
        };
        if self.aliases.get(ask) != Some(&slot) {
            if self.aliases.len() >= ALIASES_PER_ENTRY * self.bound {
                self.aliases.clear();
            }
            self.aliases.insert(ask.clone(), slot);
        }
    }

    /// Forgets everything.
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
        self.slots.clear();
        self.aliases.clear();
    }
}
