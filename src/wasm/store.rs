//! `cache.store`: a Workers KV namespace or any object with `get`, `put` and `delete`, called
//! duck-typed. Failures are returned as text for the logger: a store never fails an acquisition.

use std::collections::{HashSet, VecDeque};
use std::future::Future;

use js_sys::{Function, Object};
use wasm_bindgen::{JsCast, JsValue};

use super::js::{call_method, get, resolve, set};
use super::source::JsHandle;
use crate::error::Error;

/// The configured store.
#[derive(Clone)]
pub(crate) struct Store {
    handle: JsValue,
}

impl Store {
    /// Checks `cache.store` has the methods a store needs.
    pub(crate) fn new(JsHandle(handle): JsHandle) -> Result<Store, Error> {
        for method in ["get", "put", "delete"] {
            if get(&handle, method).dyn_ref::<Function>().is_none() {
                return Err(Error::config(
                    "invalid_config",
                    format!(
                        "cache.store must be a KV namespace or an object with get, put and delete methods; {method} is missing"
                    ),
                ));
            }
        }
        Ok(Store { handle })
    }

    /// `get(key)`: the stored string, `None` when absent. The read starts at the call, not at
    /// the first poll, so two reads can be in flight together.
    pub(crate) fn get(&self, key: &str) -> impl Future<Output = Result<Option<String>, String>> {
        let started = self.call("get", &[key.into()]);
        async move {
            let value = started.await?;
            if value.is_null() || value.is_undefined() {
                return Ok(None);
            }
            value
                .as_string()
                .map(Some)
                .ok_or_else(|| "get returned neither a string nor null".to_owned())
        }
    }

    /// `put(key, value, { expirationTtl })`.
    pub(crate) async fn put(&self, key: &str, value: &str, ttl_seconds: u64) -> Result<(), String> {
        let options = Object::new();
        set(&options, "expirationTtl", ttl_seconds as f64);
        self.call("put", &[key.into(), value.into(), options.into()])
            .await
            .map(|_| ())
    }

    /// Whether the store coordinates a fleet: `lease(key, ttlMs)` and `release(key)`.
    pub(crate) fn leases(&self) -> bool {
        get(&self.handle, "lease").is_function() && get(&self.handle, "release").is_function()
    }

    /// `lease(key, ttlMs)`: whether this caller took the lease.
    pub(crate) fn lease(
        &self,
        key: &str,
        ttl_ms: u64,
    ) -> impl Future<Output = Result<bool, String>> {
        let started = self.call("lease", &[key.into(), JsValue::from(ttl_ms as f64)]);
        async move { Ok(started.await?.is_truthy()) }
    }

    /// `release(key)`.
    pub(crate) async fn release(&self, key: &str) -> Result<(), String> {
        self.call("release", &[key.into()]).await.map(|_| ())
    }

    /// `delete(key)`.
    pub(crate) async fn delete(&self, key: &str) -> Result<(), String> {
        self.call("delete", &[key.into()]).await.map(|_| ())
    }

    /// Calls `method` now; the returned future awaits its promise.
    fn call(
        &self,
        method: &'static str,
        args: &[JsValue],
    ) -> impl Future<Output = Result<JsValue, String>> {
        let describe = move |e: JsValue| {
            let message = get(&e, "message").as_string().or_else(|| e.as_string());
            format!(
                "cache.store.{method} failed: {}",
                message.unwrap_or_else(|| "unknown error".to_owned())
            )
        };
        let called = call_method(&self.handle, method, args);
        async move { resolve(called.map_err(describe)?).await.map_err(describe) }
    }
}

/// Most store keys remembered for `clearCache`: the keys of the most recent acquisitions.
const MAX_STORE_KEYS: usize = 10_000;

/// The store keys an app has read or written, most recent last, bounded.
#[derive(Default)]
pub(crate) struct StoreKeys {
    order: VecDeque<String>,
    known: HashSet<String>,
}

impl StoreKeys {
    /// Remembers `key`, forgetting the oldest past the bound.
    pub(crate) fn note(&mut self, key: &str) {
        if self.known.contains(key) {
            return;
        }
        if self.order.len() >= MAX_STORE_KEYS {
            if let Some(oldest) = self.order.pop_front() {
                self.known.remove(&oldest);
            }
        }
        self.known.insert(key.to_owned());
        self.order.push_back(key.to_owned());
    }

    /// All keys, forgetting them.
    pub(crate) fn drain(&mut self) -> Vec<String> {
        self.known.clear();
        self.order.drain(..).collect()
    }
}
