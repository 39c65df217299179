//! The logger: `system.logger(level, message, containsPii)` with level names, or msal-node's
//! `system.loggerOptions.loggerCallback(level, message, containsPii)` with msal's numeric
//! `LogLevel` (Error 0, Warning 1, Info 2, Verbose 3), lines above `logLevel` not delivered.
//! Nothing logged is personal data, so `containsPii` is always false.

use js_sys::Function;
use wasm_bindgen::JsValue;

/// Where log lines go; cheap to clone into background work.
#[derive(Clone, Default)]
pub(crate) struct Log {
    callback: Option<Function>,
    /// msal's numeric levels up to this one; `None` for `system.logger`.
    max_level: Option<u8>,
}

impl Log {
    pub(crate) fn new(callback: Option<Function>, max_level: Option<u8>) -> Self {
        Log {
            callback,
            max_level,
        }
    }

    /// Logs `message` at `level` ("error", "warning", "info" or "verbose").
    pub(crate) fn line(&self, level: &str, message: &str) {
        let Some(callback) = &self.callback else {
            return;
        };
        let level: JsValue = match self.max_level {
            None => level.into(),
            Some(max) => {
                let n = match level {
                    "error" => 0,
                    "warning" => 1,
                    "info" => 2,
                    _ => 3,
                };
                if n > max {
                    return;
                }
                n.into()
            }
        };
        // A throwing logger must not fail an acquisition.
        let _ = callback.call3(
            &JsValue::UNDEFINED,
            &level,
            &message.into(),
            &JsValue::FALSE,
        );
    }
}
