//! `refreshDue` and `stats`: tokens renewed off the request path by the same acquisition
//! machine and the same flights as a background refresh, and the core's counters.

use std::collections::HashSet;
use std::rc::Rc;

use js_sys::{Array, Function, Promise};
use serde::{Deserialize, Serialize};
use wasm_bindgen::prelude::*;

use super::app::{Inner, WasmClient};
use super::errors::to_js;
use super::exports::to_value;
use super::js::{get, random_fill};
use super::source::{function, read, JsHandle};
use super::task::{promise, settled_of};
use crate::cache::TokenSource;
use crate::client::Prepared;
use crate::error::Error;
use crate::flow::{uuid, Acquisition};
use crate::input::Whole;

/// `refreshDue`'s default window: 10 minutes.
const DEFAULT_WITHIN_MS: u64 = 600_000;

/// `refreshDue(options)`.
#[derive(Deserialize)]
#[serde(
    rename_all = "camelCase",
    deny_unknown_fields,
    bound(deserialize = "H: crate::input::Handle")
)]
struct RefreshDueInput<H> {
    within_ms: Option<Whole<0, 86_400_000>>,
    wait_until: Option<H>,
}

/// What `refreshDue` resolves to.
#[derive(Serialize, Default)]
struct Counts {
    refreshed: u64,
    skipped: u64,
    failed: u64,
}

#[wasm_bindgen]
impl WasmClient {
    /// `app.refreshDue(options)`: resolves to `{ refreshed, skipped, failed }`; rejects with a
    /// configuration error object for bad options only.
    #[wasm_bindgen(js_name = refreshDue)]
    pub fn refresh_due(&self, options: JsValue) -> Promise {
        let inner = self.inner.clone();
        promise(async move {
            let (within_ms, wait_until) =
                read_options(options).map_err(|e| to_js(&e, None, None))?;
            let counts = inner.refresh_due(within_ms, wait_until).await;
            Ok(to_value(&counts))
        })
    }

    /// `app.stats()`: the core's counters (the JS memo adds its hits).
    pub fn stats(&self) -> JsValue {
        to_value(&self.inner.core.borrow().stats())
    }

    /// `system.refreshTimer`'s period in ms, or `undefined` when off.
    #[wasm_bindgen(getter, js_name = refreshTimerMs)]
    pub fn refresh_timer_ms(&self) -> Option<f64> {
        self.inner
            .core
            .borrow()
            .config()
            .refresh_period_ms
            .map(|ms| ms as f64)
    }
}

fn read_options(options: JsValue) -> Result<(u64, Option<Function>), Error> {
    const CODE: &str = "invalid_request";
    if options.is_undefined() {
        return Ok((DEFAULT_WITHIN_MS, None));
    }
    let input: RefreshDueInput<JsHandle> = read(options, "options", CODE)?;
    let wait_until = function(input.wait_until, "waitUntil", CODE)?;
    let within_ms = input.within_ms.map_or(DEFAULT_WITHIN_MS, |w| w.0);
    Ok((within_ms, wait_until))
}

/// A fresh correlation id per scheduled request.
fn correlation_id() -> String {
    let mut id = [0u8; 16];
    random_fill(&mut id);
    uuid(id)
}

impl Inner {
    async fn refresh_due(self: &Rc<Self>, within_ms: u64, wait_until: Option<Function>) -> Counts {
        let mut counts = Counts::default();
        let Ok(now) = self.now_ms() else {
            return counts;
        };
        let by_ms = now.saturating_add(within_ms);
        // First the keepWarm keys the memory level lacks: loaded as a request would (the store
        // first), so a Cron Trigger's fresh isolate does not ask the identity provider for
        // tokens another isolate cached.
        let load = self.core.borrow().due(now, within_ms, correlation_id).load;
        let loads = self
            .settle(load.iter().map(|p| {
                let (me, p, w) = (self.clone(), p.clone(), wait_until.clone());
                promise(async move { me.load(&p, w).await })
            }))
            .await;
        let mut requested = HashSet::new();
        let memory = self.core.borrow().config().memory;
        for (p, outcome) in load.iter().zip(loads) {
            match outcome {
                Ok(source) if source == TokenSource::IdentityProvider.as_str() => {
                    counts.refreshed += 1;
                    requested.insert(p.key.clone());
                }
                // Held now: the pass below renews it when due.
                Ok(_) if memory => {}
                Ok(_) => counts.skipped += 1,
                Err(_) => counts.failed += 1,
            }
        }
        // Then every held token that stops being fresh within the window.
        let due = self.core.borrow().due(now, within_ms, correlation_id);
        counts.skipped += due.skipped.saturating_sub(requested.len() as u64);
        let refresh: Vec<Prepared> = due
            .refresh
            .into_iter()
            .filter(|p| !requested.contains(&p.key))
            .collect();
        let refreshed = self
            .settle(
                refresh
                    .iter()
                    .map(|p| self.refresh_flight(p, by_ms, wait_until.as_ref())),
            )
            .await;
        for outcome in refreshed {
            match outcome {
                Ok(source) if source == TokenSource::IdentityProvider.as_str() => {
                    counts.refreshed += 1
                }
                // Another process renewed it (its stored token, or it holds the lease).
                Ok(_) => counts.skipped += 1,
                Err(code) if code == "refresh_leased" => counts.skipped += 1,
                Err(_) => counts.failed += 1,
            }
        }
        counts
    }

    /// The refresh flight of `p`'s key: the one already running (a background refresh), or
    /// a scheduled one started now.
    fn refresh_flight(
        self: &Rc<Self>,
        p: &Prepared,
        by_ms: u64,
        wait_until: Option<&Function>,
    ) -> Promise {
        let key = format!("refresh|{}", p.key);
        if let Some(flight) = self.flight(&key) {
            return flight;
        }
        let Ok(now) = self.now_ms() else {
            return Promise::reject(&JsValue::UNDEFINED);
        };
        let acquisition = Acquisition::refresh_due(p.clone(), now, by_ms);
        let (me, w) = (self.clone(), wait_until.cloned());
        self.start_flight(key, now, wait_until, async move {
            me.drive(acquisition, w).await
        })
    }

    /// Waits for every promise: each one's `tokenSource`, or its `errorCode`.
    async fn settle(&self, promises: impl Iterator<Item = Promise>) -> Vec<Result<String, String>> {
        let all: Array = promises.collect();
        let settled = settled_of(&Promise::all_settled(&all))
            .await
            .unwrap_or_default();
        Array::from(&settled)
            .iter()
            .map(|s| {
                let text = |v: JsValue, name| get(&v, name).as_string().unwrap_or_default();
                if text(s.clone(), "status") == "fulfilled" {
                    Ok(text(get(&s, "value"), "tokenSource"))
                } else {
                    Err(text(get(&s, "reason"), "errorCode"))
                }
            })
            .collect()
    }
}
