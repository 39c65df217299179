//! Small, duck-typed JavaScript helpers: property access, method calls, promises, clock and
//! randomness. Nothing here runs at import time.

use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::task::Poll;

use js_sys::{Function, Promise, Reflect};
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};

use super::task::settled_of;
use crate::error::Error;

/// `obj[name]`, `undefined` when `obj` is not an object or lacks it.
pub(crate) fn get(obj: &JsValue, name: &'static str) -> JsValue {
    if !obj.is_object() && !obj.is_function() {
        return JsValue::UNDEFINED;
    }
    Reflect::get(obj, &key(name)).unwrap_or(JsValue::UNDEFINED)
}

/// Sets `obj[name] = value` on a fresh plain object we own, where it cannot fail.
pub(crate) fn set(obj: &JsValue, name: &'static str, value: impl Into<JsValue>) {
    let _ = Reflect::set(obj, &key(name), &value.into());
}

thread_local! {
    /// Property names as JS strings, made once: a store hit reads and writes a few dozen, and
    /// making each anew was a measurable part of it in workerd (issue 24).
    static KEYS: std::cell::RefCell<std::collections::HashMap<&'static str, JsValue>> =
        std::cell::RefCell::default();
}

/// `name` as a JS string, from the cache.
fn key(name: &'static str) -> JsValue {
    KEYS.with(|keys| {
        keys.borrow_mut()
            .entry(name)
            .or_insert_with(|| JsValue::from_str(name))
            .clone()
    })
}

/// `obj.name(...args)`.
pub(crate) fn call_method(
    obj: &JsValue,
    name: &'static str,
    args: &[JsValue],
) -> Result<JsValue, JsValue> {
    let f: Function = get(obj, name)
        .dyn_into()
        .map_err(|_| JsValue::from_str(&format!("{name} is not a function")))?;
    let array: js_sys::Array = args.iter().collect();
    f.apply(obj, &array)
}

/// Awaits a value that may or may not be a promise (callbacks may be sync or async).
///
/// A thenable, not `instanceof Promise`: Vercel's Edge runtime (and Node's `vm`) hand out
/// promises of the host realm (`fetch`, `crypto.subtle`), which fail that test, and a promise
/// taken for a value reads as an answer with status 0 or a key that is no `CryptoKey`.
pub(crate) async fn resolve(value: JsValue) -> Result<JsValue, JsValue> {
    if get(&value, "then").is_function() {
        settled_of(&value).await
    } else {
        Ok(value)
    }
}

// Timers made in JS: a wasm closure per timer (Promise::new with a Rust callback) and a
// Reflect lookup of setTimeout cost more than the rest of a store step in workerd (issue 24).
// One function per snippet: wasm-bindgen 0.2.130 imports a snippet once per function and
// names it twice in its import object, which bundlers warn about.
#[wasm_bindgen(inline_js = "
export function delay(ms) {
  let id;
  const promise = new Promise((resolve) => { id = setTimeout(resolve, ms); });
  promise.timer = id;
  return promise;
}
")]
extern "C" {
    fn delay(ms: f64) -> Promise;
}

#[wasm_bindgen(inline_js = "export function cancel(promise) { clearTimeout(promise.timer); }")]
extern "C" {
    fn cancel(timer: &Promise);
}

#[wasm_bindgen(inline_js = "
export function race(value, ms) {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function') || typeof value.then !== 'function') return value;
  let id;
  const late = new Promise((resolve) => { id = setTimeout(resolve, ms, Symbol.for('entra-edge.timed-out')); });
  return Promise.race([value, late]).finally(() => clearTimeout(id));
}
")]
extern "C" {
    fn race(value: &JsValue, ms: f64) -> JsValue;
}

thread_local! {
    /// What [`race`] settles with when the time ran out.
    static TIMED_OUT: JsValue = js_sys::Symbol::for_("entra-edge.timed-out").into();
}

/// What a call returned (a promise of any realm, or a plain value), awaited for at most `ms`:
/// `None` when the time ran out first. The race runs in JS, so a step costs one future rather
/// than a future for the work and one for its timer.
pub(crate) async fn within_js(called: JsValue, ms: u64) -> Option<Result<JsValue, JsValue>> {
    let raced = race(&called, ms as f64);
    let out = match raced.dyn_into::<Promise>() {
        Ok(promise) => settled_of(&promise).await,
        Err(value) => Ok(value),
    };
    match out {
        Ok(v) if TIMED_OUT.with(|late| *late == v) => None,
        other => Some(other),
    }
}

/// A promise that resolves after `ms`; [`clear_timer`] cancels it.
pub(crate) fn sleep(ms: u64) -> Promise {
    delay(ms as f64)
}

/// Awaits `work` for at most `ms`: `None` when the time ran out first. A late `work` is
/// dropped; the JS promise behind it settles unobserved.
pub(crate) async fn within<F: Future>(work: F, ms: u64) -> Option<F::Output> {
    let timer = sleep(ms);
    let mut pending = settled_of(&timer);
    let mut work = pin!(work);
    let out = poll_fn(|cx| {
        if let Poll::Ready(v) = work.as_mut().poll(cx) {
            return Poll::Ready(Some(v));
        }
        Pin::new(&mut pending).poll(cx).map(|_| None)
    })
    .await;
    clear_timer(&timer);
    out
}

/// Cancels a timer from [`sleep`] (so Node can exit and workerd holds no timer).
pub(crate) fn clear_timer(timer: &Promise) {
    cancel(timer);
}

thread_local! {
    /// CSPRNG bytes drawn 512 at a time: each crypto.getRandomValues call costs ~10 µs in Node,
    /// and an acquisition needs three small draws.
    static POOL: std::cell::RefCell<(Vec<u8>, usize)> = const { std::cell::RefCell::new((Vec::new(), 0)) };
}

/// Fills `out` from the pooled `crypto.getRandomValues` output; `false` (and `out` unusable)
/// when the runtime has no randomness. Drawn bytes are zeroed in the pool: none is used twice.
pub(crate) fn random_fill(out: &mut [u8]) -> bool {
    POOL.with(|pool| {
        let (buf, used) = &mut *pool.borrow_mut();
        for byte in out.iter_mut() {
            if *used >= buf.len() {
                buf.resize(512, 0);
                if getrandom::fill(buf).is_err() {
                    buf.clear();
                    *used = 0;
                    return false;
                }
                *used = 0;
            }
            *byte = buf[*used];
            buf[*used] = 0;
            *used += 1;
        }
        true
    })
}

/// `crypto.getRandomValues`, through the pool above: the machine's randomness in every driver
/// on wasm32 (the wasm shell, workers-rs).
pub(crate) struct JsEntropy;

impl crate::flow::Entropy for JsEntropy {
    fn fill(&mut self, out: &mut [u8]) -> bool {
        random_fill(out)
    }
}

/// The clock: `system.now()` when configured, else `Date.now()`.
pub(crate) fn now_ms(now: Option<&Function>) -> Result<u64, Error> {
    let ms = match now {
        None => js_sys::Date::now(),
        Some(f) => f
            .call0(&JsValue::UNDEFINED)
            .ok()
            .and_then(|v| v.as_f64())
            .unwrap_or(f64::NAN),
    };
    if ms.is_finite() && ms >= 0.0 {
        Ok(ms as u64)
    } else {
        Err(Error::config(
            "invalid_config",
            "system.now must return milliseconds since the epoch (a number)",
        ))
    }
}
