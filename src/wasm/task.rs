//! The wasm shell's executor: its futures as JS promises, and JS promises as futures.
//!
//! wasm-bindgen-futures made each await two wasm closures (each a JS function registered with a
//! FinalizationRegistry) and each wake-up a `queueMicrotask`; in workerd, replacing that
//! machinery took a third off a store hit's CPU time (BENCHMARKS.md, issue 24). Here a promise
//! is watched by one JS call whose callbacks are plain JS, and a settled promise polls its task
//! at once: the reaction that settles it is already a fresh microtask.

use std::cell::{Cell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};

use js_sys::Promise;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::JsValue;

use super::js::get;
use crate::slab::Slab;

type Work = Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>>;

// One function per snippet: wasm-bindgen 0.2.130 names a snippet twice in its import object
// when it exports several, which bundlers warn about.
#[wasm_bindgen(inline_js = "
export function deferred() {
  const settle = {};
  settle.promise = new Promise((resolve, reject) => { settle.resolve = resolve; settle.reject = reject; });
  return settle;
}
")]
extern "C" {
    /// `{ promise, resolve, reject }`.
    fn deferred() -> JsValue;
}

#[wasm_bindgen(inline_js = "
export function finish(settle, value, ok) { (ok ? settle.resolve : settle.reject)(value); }
")]
extern "C" {
    fn finish(settle: &JsValue, value: &JsValue, ok: bool);
}

#[wasm_bindgen(inline_js = "
export function watch(promise, id, settled) {
  Promise.resolve(promise).then((value) => settled(id, value, true), (error) => settled(id, error, false));
}
")]
extern "C" {
    fn watch(promise: &JsValue, id: f64, settled: &Closure<dyn Fn(f64, JsValue, bool)>);
}

struct Task {
    /// Out while it is being polled.
    work: Option<Work>,
    /// The JS side's `{ promise, resolve, reject }`.
    settle: JsValue,
    waker: Waker,
}

/// What awaits a JS promise: its outcome once settled, and the task to wake then.
#[derive(Default)]
struct Watch {
    outcome: Option<Result<JsValue, JsValue>>,
    waker: Option<Waker>,
}

thread_local! {
    static TASKS: RefCell<Slab<Task>> = RefCell::default();
    /// Tasks woken while another was being polled, in order (rarely more than one).
    static READY: RefCell<Vec<u64>> = RefCell::default();
    static RUNNING: Cell<bool> = const { Cell::new(false) };
    static WATCHES: RefCell<Slab<Rc<RefCell<Watch>>>> = RefCell::default();
    static SETTLED: Closure<dyn Fn(f64, JsValue, bool)> = Closure::new(settled);
}

/// Wakes a task by id (the waker holds no reference to it: a finished task is simply gone).
struct Wakeup(u64);

impl Wake for Wakeup {
    fn wake(self: Arc<Self>) {
        wake(self.0);
    }
}

/// A task made but not yet polled; [`Spawned::start`] runs it. In two steps so that a caller
/// can record the promise (a flight) before the work may already have finished.
pub(crate) struct Spawned {
    id: u64,
    pub(crate) promise: Promise,
}

/// `work` as a task whose promise settles with its outcome.
pub(crate) fn spawn(work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Spawned {
    let settle = deferred();
    let promise = Promise::from(get(&settle, "promise"));
    let id = TASKS.with(|t| {
        let mut tasks = t.borrow_mut();
        let id = tasks.insert(Task {
            work: Some(Box::pin(work)),
            settle,
            waker: Waker::noop().clone(),
        });
        if let Some(task) = tasks.get_mut(id) {
            task.waker = Waker::from(Arc::new(Wakeup(id)));
        }
        id
    });
    Spawned { id, promise }
}

impl Spawned {
    /// Polls the task now, or right after the task being polled when called from one.
    pub(crate) fn start(self) -> Promise {
        wake(self.id);
        self.promise
    }
}

/// A promise of `work`, which starts at once.
pub(crate) fn promise(work: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    spawn(work).start()
}

fn wake(id: u64) {
    READY.with(|r| r.borrow_mut().push(id));
    if RUNNING.with(|r| r.replace(true)) {
        return;
    }
    while let Some(id) = READY.with(|r| {
        let mut ready = r.borrow_mut();
        (!ready.is_empty()).then(|| ready.remove(0))
    }) {
        run(id);
    }
    RUNNING.with(|r| r.set(false));
}

fn run(id: u64) {
    let Some((mut work, waker)) = TASKS.with(|t| {
        let mut tasks = t.borrow_mut();
        let task = tasks.get_mut(id)?;
        Some((task.work.take()?, task.waker.clone()))
    }) else {
        return;
    };
    match work.as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Pending => TASKS.with(|t| {
            if let Some(task) = t.borrow_mut().get_mut(id) {
                task.work = Some(work);
            }
        }),
        Poll::Ready(outcome) => {
            drop(work);
            if let Some(task) = TASKS.with(|t| t.borrow_mut().remove(id)) {
                let (value, ok) = match outcome {
                    Ok(v) => (v, true),
                    Err(e) => (e, false),
                };
                finish(&task.settle, &value, ok);
            }
        }
    }
}

fn settled(id: f64, value: JsValue, ok: bool) {
    let Some(watch) = WATCHES.with(|w| w.borrow_mut().remove(id as u64)) else {
        return;
    };
    let waker = {
        let mut watch = watch.borrow_mut();
        watch.outcome = Some(if ok { Ok(value) } else { Err(value) });
        watch.waker.take()
    };
    if let Some(waker) = waker {
        waker.wake();
    }
}

/// A JS promise (or thenable) as a future of its outcome.
pub(crate) struct Settled {
    id: u64,
    watch: Rc<RefCell<Watch>>,
}

/// Awaits `promise`: one JS call, no wasm closure of its own.
pub(crate) fn settled_of(promise: &JsValue) -> Settled {
    let watch = Rc::new(RefCell::new(Watch::default()));
    let id = WATCHES.with(|w| w.borrow_mut().insert(watch.clone()));
    SETTLED.with(|f| self::watch(promise, id as f64, f));
    Settled { id, watch }
}

impl Future for Settled {
    type Output = Result<JsValue, JsValue>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let mut watch = self.watch.borrow_mut();
        if let Some(outcome) = watch.outcome.take() {
            return Poll::Ready(outcome);
        }
        match &watch.waker {
            Some(w) if w.will_wake(cx.waker()) => {}
            _ => watch.waker = Some(cx.waker().clone()),
        }
        Poll::Pending
    }
}

impl Drop for Settled {
    fn drop(&mut self) {
        WATCHES.with(|w| w.borrow_mut().remove(self.id));
    }
}
