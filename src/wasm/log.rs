//! The logger: `system.logger(level, message, containsPii)` with level names, or msal-node's
//! `system.loggerOptions.loggerCallback(level, message, containsPii)` with msal's numeric
//! `LogLevel` (Error 0, Warning 1, Info 2, Verbose 3), lines above `logLevel` not delivered.
//! Nothing logged is personal data, so `containsPii` is always false.

use js_sys::Function;
use wasm_bindgen::{JsCast, JsValue};

use crate::flow::Level;

/// The line every memory hit logs, in the core's answers and the JS layer's alike.
pub(crate) use crate::cache::MEMORY_HIT;

/// Where log lines go; cheap to clone into background work.
#[derive(Clone, Default)]
pub(crate) struct Log {
    callback: Option<Function>,
    /// msal's numeric levels up to this one; `None` for `system.logger`.
    max_level: Option<i8>,
}

impl Log {
    pub(crate) fn new(callback: Option<Function>, max_level: Option<i8>) -> Self {
        Log {
            callback,
            max_level,
        }
    }

    /// The callback and the level argument it takes for `level`; `None` when the line is
    /// not delivered.
    fn target(&self, level: Level) -> Option<(&Function, JsValue)> {
        let callback = self.callback.as_ref()?;
        let level = match self.max_level {
            None => level.as_str().into(),
            Some(max) => {
                // msal's numeric LogLevel: Error 0, Warning 1, Info 2, Verbose 3.
                let n: i8 = match level {
                    Level::Warning => 1,
                    Level::Info => 2,
                    Level::Verbose => 3,
                };
                if n > max {
                    return None;
                }
                n.into()
            }
        };
        Some((callback, level))
    }

    /// Logs `message` at `level`.
    pub(crate) fn line(&self, level: Level, message: &str) {
        if let Some((callback, level)) = self.target(level) {
            // A throwing logger must not fail an acquisition.
            let _ = callback.call3(
                &JsValue::UNDEFINED,
                &level,
                &message.into(),
                &JsValue::FALSE,
            );
        }
    }

    /// [`MEMORY_HIT`] as a function of no arguments, for the JS layer's memory hits (which
    /// guard it against a throwing logger); `None` when such lines are not delivered.
    pub(crate) fn memory_hit(&self) -> Option<Function> {
        let (callback, level) = self.target(Level::Verbose)?;
        Some(
            callback
                .bind3(
                    &JsValue::UNDEFINED,
                    &level,
                    &MEMORY_HIT.into(),
                    &JsValue::FALSE,
                )
                .unchecked_into(),
        )
    }
}
