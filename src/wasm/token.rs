//! Tokens held as JavaScript strings: the memory level's copy and the result objects the JS
//! layer keeps are one string, not two (a token is about 2 KB; a daemon may cache 100,000).

use std::fmt;

use wasm_bindgen::JsValue;

use crate::secret::TokenText;

/// A token's text as a JavaScript string.
#[derive(Clone)]
pub(crate) struct JsToken(pub(crate) JsValue);

impl fmt::Debug for JsToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JsToken([redacted])")
    }
}

impl TokenText for JsToken {
    fn from_text(text: String) -> Self {
        JsToken(JsValue::from_str(&text))
    }
}
