//! Azure Arc's key file, read through `auth.managedIdentity.readFile`, the hook the Node layer
//! supplies (`www/src/arc.js`): the core checked the path already; the hook reads at most
//! `maxBytes` of a regular file without following a symlink, and answers `{ content }` or
//! `{ error }` (`ENOENT`, `not_a_file`, `too_large`, or the system's code).

use js_sys::Function;
use wasm_bindgen::JsValue;

use super::app::Inner;
use super::js::{get, resolve, within};
use crate::flow::Outcome;
use crate::managed_identity::FileError;
use crate::secret::ClientSecret;

impl Inner {
    /// Reads `path` through the hook, given up after `within_ms`.
    pub(super) async fn read_file(&self, path: &str, max_bytes: u64, within_ms: u64) -> Outcome {
        let Some(hook) = &self.read_file else {
            return Outcome::FileRead(Err(FileError::Unsupported));
        };
        match within(call(hook, path, max_bytes), within_ms).await {
            None => Outcome::TimedOut,
            Some(read) => Outcome::FileRead(read),
        }
    }
}

async fn call(hook: &Function, path: &str, max_bytes: u64) -> Result<ClientSecret, FileError> {
    let threw = || FileError::Unreadable("the reader threw".to_owned());
    let called = hook
        .call2(
            &JsValue::UNDEFINED,
            &path.into(),
            &(max_bytes as f64).into(),
        )
        .map_err(|_| threw())?;
    let answer = resolve(called).await.map_err(|_| threw())?;
    if let Some(content) = get(&answer, "content").as_string() {
        return Ok(ClientSecret::new(content));
    }
    Err(match get(&answer, "error").as_string().as_deref() {
        Some("ENOENT") => FileError::NotFound,
        Some("not_a_file") => FileError::NotAFile,
        Some("too_large") => FileError::TooLarge,
        // A system code is short and names no path; anything else is not repeated.
        Some(code) if code.len() <= 16 && code.chars().all(|c| c.is_ascii_alphanumeric()) => {
            FileError::Unreadable(code.to_owned())
        }
        _ => threw(),
    })
}
