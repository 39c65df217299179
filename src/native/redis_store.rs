//! The Redis store (feature `redis`): the same keys, values, lease and release as the JS
//! package's `RedisStore` (`www/src/stores/redis-store.js`), so Node and Rust daemons share one
//! Redis: entries are `SET key value EX ttl`, a lease is `SET key owner PX ttl NX` with a random
//! owner, and a release deletes the lease only while this store still owns it (the same Lua
//! script), so a lease that expired and was taken by another process is left alone.

use std::collections::HashMap;
use std::sync::Mutex;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::store::{Store, StoreFuture};
use crate::error::Error;
use crate::flow::uuid;

/// Byte for byte the JS store's release script.
const RELEASE: &str = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

/// A [`Store`] over Redis (or Valkey), reconnecting by itself.
pub struct RedisStore {
    conn: ConnectionManager,
    /// Lease key -> the owner id this store took it with.
    owners: Mutex<HashMap<String, String>>,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore").finish_non_exhaustive()
    }
}

impl RedisStore {
    /// A store on `url` (`redis://host:port/db`, `rediss://…`, `unix:///path/to/socket`). It
    /// connects on first use, so a Redis that is down at start costs nothing but skipped store
    /// steps. Call it inside a tokio runtime.
    ///
    /// # Errors
    /// `invalid_config` naming `url` when it is not a Redis URL.
    pub fn open(url: &str) -> Result<Self, Error> {
        let bad = |e: redis::RedisError| {
            Error::config(
                "invalid_config",
                format!("RedisStore::open: the url is not a Redis URL (redis://host:port, unix:///path): {:?}", e.kind()),
            )
        };
        let client = redis::Client::open(url).map_err(bad)?;
        // The core bounds every store step by its share of the deadline; reconnecting again
        // and again inside one step would only hide a Redis that is down.
        let config = ConnectionManagerConfig::new().set_number_of_retries(1);
        let conn = ConnectionManager::new_lazy_with_config(client, config).map_err(bad)?;
        Ok(Self::new(conn))
    }

    /// A store over a connection the daemon already has.
    pub fn new(conn: ConnectionManager) -> Self {
        RedisStore {
            conn,
            owners: Mutex::new(HashMap::new()),
        }
    }

    fn owners(&self) -> std::sync::MutexGuard<'_, HashMap<String, String>> {
        self.owners
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// A Redis error as the log says it: its kind and code, never a value.
fn why(op: &str, e: &redis::RedisError) -> String {
    format!("RedisStore {op} failed: {e}")
}

impl Store for RedisStore {
    fn get<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<String>> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            redis::cmd("GET")
                .arg(key)
                .query_async(&mut conn)
                .await
                .map_err(|e| why("get", &e))
        })
    }

    fn put<'a>(&'a self, key: &'a str, value: &'a str, ttl_seconds: u64) -> StoreFuture<'a, ()> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            redis::cmd("SET")
                .arg(key)
                .arg(value)
                .arg("EX")
                .arg(ttl_seconds)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| why("put", &e))
        })
    }

    fn delete<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            redis::cmd("DEL")
                .arg(key)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| why("delete", &e))
        })
    }

    fn leases(&self) -> bool {
        true
    }

    fn lease<'a>(&'a self, key: &'a str, ttl_ms: u64) -> StoreFuture<'a, bool> {
        let mut conn = self.conn.clone();
        Box::pin(async move {
            let mut id = [0u8; 16];
            getrandom::fill(&mut id)
                .map_err(|_| "no randomness for a lease owner id".to_owned())?;
            let owner = uuid(id);
            let set: Option<String> = redis::cmd("SET")
                .arg(key)
                .arg(&owner)
                .arg("PX")
                .arg(ttl_ms.max(1))
                .arg("NX")
                .query_async(&mut conn)
                .await
                .map_err(|e| why("lease", &e))?;
            let taken = set.as_deref() == Some("OK");
            if taken {
                self.owners().insert(key.to_owned(), owner);
            }
            Ok(taken)
        })
    }

    fn release<'a>(&'a self, key: &'a str) -> StoreFuture<'a, ()> {
        let mut conn = self.conn.clone();
        let owner = self.owners().remove(key);
        Box::pin(async move {
            let Some(owner) = owner else { return Ok(()) };
            redis::cmd("EVAL")
                .arg(RELEASE)
                .arg(1)
                .arg(key)
                .arg(owner)
                .query_async::<()>(&mut conn)
                .await
                .map_err(|e| why("release", &e))
        })
    }
}
