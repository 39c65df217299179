//! The store's AES-256-GCM through the runtime's native cipher: an object the JS layer makes
//! from the sealing key (WebCrypto in workerd, Deno and the Edge runtime; `node:crypto` in
//! Node, where WebCrypto's thread-pool round trip costs more than it saves). In the wasm,
//! software AES-GCM cost about 40% of a workerd store hit, and copying the stored value in
//! and decoding its base64 a sixth more (BENCHMARKS.md, issue 24): the JS side frames the
//! envelope as `crate::envelope` defines it (www/src/envelope.js), the core owns the payloads.

use js_sys::{Function, Uint8Array};
use wasm_bindgen::{JsCast, JsValue};

use super::js::{get, resolve};
use crate::client::StoreWrite;
use crate::envelope::{OpenError, SealingKey};
use crate::error::Error;

/// `{ open(value, aad), seal(iv, aad, plain) }`: the payload of a stored value, and the stored
/// value of a payload, or promises of them; `None` without a store (nothing is sealed then).
pub(crate) struct Cipher(Option<Methods>);

struct Methods {
    handle: JsValue,
    open: Function,
    seal: Function,
}

impl Cipher {
    /// The cipher `factory` makes for `key`, when there is a store. The key's bytes are copied
    /// into JS once and zeroed on this side after the factory returns (WebCrypto imports them
    /// non-extractable).
    pub(crate) fn new(factory: &JsValue, key: Option<&SealingKey>) -> Result<Cipher, Error> {
        let Some(key) = key else {
            return Ok(Cipher(None));
        };
        let unsupported = || {
            Error::config(
                "unsupported_runtime",
                "sealing cache.store entries needs AES-GCM from the runtime (crypto.subtle or node:crypto), which failed to load the key",
            )
        };
        let factory = factory.dyn_ref::<Function>().ok_or_else(unsupported)?;
        let raw = Uint8Array::from(&key.expose()[..]);
        let made = factory.call1(&JsValue::UNDEFINED, &raw);
        raw.fill(0, 0, raw.length());
        let handle = made.map_err(|_| unsupported())?;
        let method = |name| get(&handle, name).dyn_into::<Function>().ok();
        let (Some(open), Some(seal)) = (method("open"), method("seal")) else {
            return Err(unsupported());
        };
        Ok(Cipher(Some(Methods { handle, open, seal })))
    }

    /// `open(value, aad)` and the object it is a method of, for [`Store::read`]: the payload
    /// of a stored value, or a promise of it.
    ///
    /// [`Store::read`]: super::store::Store::read
    pub(crate) fn opener(&self) -> Option<(&Function, &JsValue)> {
        self.0.as_ref().map(|m| (&m.open, &m.handle))
    }

    /// `write` sealed: the envelope to put (a JS string), `None` when the cipher failed.
    pub(crate) async fn seal(&self, write: &StoreWrite) -> Option<JsValue> {
        let m = self.0.as_ref()?;
        let called = m.seal.call3(
            &m.handle,
            &Uint8Array::from(&write.nonce[..]),
            &Uint8Array::from(write.key.as_bytes()),
            &Uint8Array::from(write.plain.bytes()),
        );
        resolve(called.ok()?).await.ok().filter(JsValue::is_string)
    }
}

/// Why `open` threw or rejected: the framing throws "version" or "encoding"; a tag that does
/// not verify rejects (WebCrypto) or throws (node:crypto).
pub(crate) fn open_error(e: &JsValue) -> OpenError {
    match get(e, "message").as_string().as_deref() {
        Some("version") => OpenError::Version,
        Some("encoding") => OpenError::Encoding,
        _ => OpenError::Authentication,
    }
}
