//! JavaScript values as a [`Source`] of option objects: what kind a value is and a plain leaf's
//! value; serde-wasm-bindgen keeps handles (`preserve`).

use js_sys::{Array, Function, Object, Reflect};
use serde::{Deserialize, Deserializer};
use wasm_bindgen::{JsCast, JsValue};

use crate::error::Error;
use crate::input::{self, Handle, InputError, Kind, Plain, Source};

/// A JavaScript value read as options.
pub(crate) struct JsSource(pub(crate) JsValue);

thread_local! {
    /// `Object.prototype`, to tell plain objects from class instances.
    static OBJECT_PROTOTYPE: JsValue = Object::get_prototype_of(&Object::new()).into();
}

impl Source for JsSource {
    type Leaf = serde_wasm_bindgen::Deserializer;
    const READS_STRUCTURES: bool = false;

    fn kind(&self) -> Kind {
        let v = &self.0;
        if v.is_undefined() {
            Kind::Missing
        } else if v.is_null() {
            Kind::Null
        } else if v.as_bool().is_some() {
            Kind::Bool
        } else if v.as_f64().is_some() {
            Kind::Number
        } else if v.is_string() {
            Kind::String
        } else if v.is_bigint() {
            Kind::BigInt
        } else if v.is_function() {
            Kind::Function
        } else if Array::is_array(v) {
            Kind::Array
        } else if v.is_object() {
            let proto: JsValue = Object::get_prototype_of(v).into();
            if proto.is_null() || OBJECT_PROTOTYPE.with(|p| *p == proto) {
                Kind::Object
            } else {
                Kind::Instance
            }
        } else {
            Kind::Other
        }
    }

    fn names(&self) -> Vec<String> {
        match self.0.dyn_ref::<Object>() {
            Some(o) => Object::keys(o)
                .iter()
                .filter_map(|k| k.as_string())
                .collect(),
            None => Vec::new(),
        }
    }

    fn field(&self, name: &str) -> Self {
        // A throwing getter or proxy reads as absent.
        JsSource(Reflect::get(&self.0, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED))
    }

    fn items(&self) -> Vec<Self> {
        match self.0.dyn_ref::<Array>() {
            Some(a) => a.iter().map(JsSource).collect(),
            None => Vec::new(),
        }
    }

    fn plain(self) -> Option<Plain> {
        let v = &self.0;
        v.as_bool()
            .map(Plain::Bool)
            .or_else(|| v.as_f64().map(Plain::Number))
            .or_else(|| v.as_string().map(Plain::Text))
    }

    fn leaf(self) -> Self::Leaf {
        self.0.into()
    }
}

/// A value kept as it is: a function, a KV binding, a Redis client. Never traversed.
#[derive(Default)]
pub(crate) struct JsHandle(pub(crate) JsValue);

impl<'de> Deserialize<'de> for JsHandle {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        serde_wasm_bindgen::preserve::deserialize(d).map(JsHandle)
    }
}

impl Handle for JsHandle {
    fn text(&self) -> Option<String> {
        self.0.as_string()
    }
}

/// Reads `value` strictly as a `T` called `root` in messages; errors carry `code`.
pub(crate) fn read<T: serde::de::DeserializeOwned>(
    value: JsValue,
    root: &'static str,
    code: &'static str,
) -> Result<T, Error> {
    input::read(JsSource(value), root).map_err(|InputError(message)| Error::config(code, message))
}

/// An optional callback option: absent, or a function, or a configuration error naming it.
pub(crate) fn function(
    handle: Option<JsHandle>,
    path: &str,
    code: &'static str,
) -> Result<Option<Function>, Error> {
    match handle {
        None => Ok(None),
        Some(JsHandle(v)) => v
            .dyn_into::<Function>()
            .map(Some)
            .map_err(|_| Error::config(code, format!("{path} must be a function"))),
    }
}
