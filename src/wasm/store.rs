//! `cache.store`: a Workers KV namespace or any object with `get`, `put` and `delete`, called
//! duck-typed. Failures are returned as text for the logger: a store never fails an acquisition.

use std::collections::{HashSet, VecDeque};
use std::future::Future;

use js_sys::{Function, Object, Promise, Uint8Array};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::cipher::open_error;
use super::js::{get, resolve, set, within_js};
use super::source::JsHandle;
use super::task::settled_of;
use crate::envelope::Plain;
use crate::error::Error;
use crate::flow::Opened;

// A store read and its opening in one call, as `read` describes. What it settles with: the
// plaintext as a Uint8Array of this realm (WebCrypto answers an ArrayBuffer, possibly of the
// host's realm in Vercel's Edge runtime), null when absent, or an object naming what failed;
// `{}` when the time ran out.
#[wasm_bindgen(inline_js = "
export function read_open(get, store, key, ms, open, cipher, aad) {
  const bytes = (x) => (ArrayBuffer.isView(x) ? new Uint8Array(x.buffer, x.byteOffset, x.byteLength) : new Uint8Array(x));
  const opened = (value) => {
    if (value === null || value === undefined) return null;
    if (typeof value !== 'string') return { neither: true };
    try {
      const plain = open.call(cipher, value, aad);
      return typeof plain?.then === 'function' ? Promise.resolve(plain).then(bytes, (error) => ({ unopened: error })) : bytes(plain);
    } catch (error) {
      return { unopened: error };
    }
  };
  let value;
  try {
    value = get.call(store, key);
  } catch (error) {
    return { failed: error };
  }
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || typeof value.then !== 'function') return opened(value);
  const timedOut = {};
  let id;
  const late = new Promise((resolve) => { id = setTimeout(resolve, ms, timedOut); });
  return Promise.race([value, late]).then((v) => (clearTimeout(id), v === timedOut ? v : opened(v)), (error) => (clearTimeout(id), { failed: error }));
}
")]
extern "C" {
    fn read_open(
        get: &Function,
        store: &JsValue,
        key: &str,
        ms: f64,
        open: &Function,
        cipher: &JsValue,
        aad: &Uint8Array,
    ) -> JsValue;
}

/// The configured store, its methods looked up once (a lookup per call was a measurable part
/// of a store hit in workerd).
#[derive(Clone)]
pub(crate) struct Store {
    handle: JsValue,
    get: Function,
    put: Function,
    delete: Function,
    /// `lease` and `release`, for stores that coordinate a fleet.
    lease: Option<(Function, Function)>,
}

impl Store {
    /// Checks `cache.store` has the methods a store needs.
    pub(crate) fn new(JsHandle(handle): JsHandle) -> Result<Store, Error> {
        let method = |name: &'static str| get(&handle, name).dyn_into::<Function>().ok();
        let required = |name: &'static str| {
            method(name).ok_or_else(|| {
                Error::config(
                    "invalid_config",
                    format!(
                        "cache.store must be a KV namespace or an object with get, put and delete methods; {name} is missing"
                    ),
                )
            })
        };
        let (get, put, delete) = (required("get")?, required("put")?, required("delete")?);
        let lease = method("lease").zip(method("release"));
        Ok(Store {
            handle,
            get,
            put,
            delete,
            lease,
        })
    }

    /// `get(key)` given at most `ms`, and the stored string opened by `open` (the cipher's
    /// method, on `cipher`, with `aad`): the plaintext, `None` when absent, or why there is
    /// none; `None` when the time ran out. In one JS call, awaited once: a store hit was a
    /// race, then an open, each a promise the wasm awaited (issue 24).
    pub(crate) async fn read(
        &self,
        key: &str,
        ms: u64,
        (open, cipher, aad): (&Function, &JsValue, &[u8]),
    ) -> Option<Result<Option<Opened>, String>> {
        let aad = Uint8Array::from(aad);
        let called = read_open(&self.get, &self.handle, key, ms as f64, open, cipher, &aad);
        let read = match called.dyn_into::<Promise>() {
            // It settles with what failed rather than rejecting; should it reject all the
            // same, that is a failed read, not a read that ran out of time.
            Ok(promise) => match settled_of(&promise).await {
                Ok(read) => read,
                Err(e) => return Some(Err(describe("get", &e))),
            },
            Err(now) => now,
        };
        if let Some(bytes) = read.dyn_ref::<Uint8Array>() {
            return Some(Ok(Some(Ok(Plain::new(bytes.to_vec())))));
        }
        if read.is_null() {
            return Some(Ok(None));
        }
        let failed = get(&read, "failed");
        if !failed.is_undefined() {
            return Some(Err(describe("get", &failed)));
        }
        if get(&read, "neither").is_truthy() {
            return Some(Err("get returned neither a string nor null".to_owned()));
        }
        match get(&read, "unopened") {
            unopened if !unopened.is_undefined() => Some(Ok(Some(Err(open_error(&unopened))))),
            // The snippet's own "time ran out".
            _ => None,
        }
    }

    /// `put(key, value, { expirationTtl })`.
    pub(crate) async fn put(
        &self,
        key: &str,
        value: &JsValue,
        ttl_seconds: u64,
    ) -> Result<(), String> {
        let options = Object::new();
        set(&options, "expirationTtl", ttl_seconds as f64);
        let called = self.put.call3(&self.handle, &key.into(), value, &options);
        self.call("put", called).await.map(|_| ())
    }

    /// Whether the store coordinates a fleet: `lease(key, ttlMs)` and `release(key)`.
    pub(crate) fn leases(&self) -> bool {
        self.lease.is_some()
    }

    /// `lease(key, ttlMs)` given at most `ms`: whether this caller took the lease, or why
    /// asking failed; `None` when the time ran out.
    pub(crate) async fn lease(
        &self,
        key: &str,
        ttl_ms: u64,
        ms: u64,
    ) -> Option<Result<bool, String>> {
        let called = match &self.lease {
            Some((lease, _)) => {
                lease.call2(&self.handle, &key.into(), &JsValue::from(ttl_ms as f64))
            }
            None => Ok(JsValue::FALSE),
        };
        let taken = match called {
            Ok(called) => within_js(called, ms).await?,
            Err(e) => Err(e),
        };
        Some(
            taken
                .map(|v| v.is_truthy())
                .map_err(|e| describe("lease", &e)),
        )
    }

    /// `release(key)`.
    pub(crate) async fn release(&self, key: &str) -> Result<(), String> {
        let called = match &self.lease {
            Some((_, release)) => release.call1(&self.handle, &key.into()),
            None => Ok(JsValue::UNDEFINED),
        };
        self.call("release", called).await.map(|_| ())
    }

    /// `delete(key)`.
    pub(crate) async fn delete(&self, key: &str) -> Result<(), String> {
        let called = self.delete.call1(&self.handle, &key.into());
        self.call("delete", called).await.map(|_| ())
    }

    /// Awaits what calling `method` returned (a promise or a value).
    fn call(
        &self,
        method: &'static str,
        called: Result<JsValue, JsValue>,
    ) -> impl Future<Output = Result<JsValue, String>> {
        let describe = move |e: JsValue| describe(method, &e);
        async move { resolve(called.map_err(describe)?).await.map_err(describe) }
    }
}

/// Why `cache.store.<method>` failed, for the logger.
fn describe(method: &str, e: &JsValue) -> String {
    let message = get(e, "message").as_string().or_else(|| e.as_string());
    format!(
        "cache.store.{method} failed: {}",
        message.unwrap_or_else(|| "unknown error".to_owned())
    )
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
