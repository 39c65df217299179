//! What [`super::strict`] needs to know about a value before serde reads it: its kind, an
//! object's own names, a field, an array's items, a plain leaf's value, and the deserializer of
//! a value kept as it is. The shell implements it for JavaScript values (keeping handles with
//! serde-wasm-bindgen); the core implements it for parsed JSON, which native tests and fuzzing use.

use serde::de::Deserializer;

/// The kind of a value, as far as option reading cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Absent, or JavaScript `undefined`.
    Missing,
    /// `null`.
    Null,
    /// A boolean.
    Bool,
    /// A number.
    Number,
    /// A string.
    String,
    /// An array.
    Array,
    /// A plain object (`{ ... }` or `Object.create(null)`).
    Object,
    /// Any other object: a class instance, a `Buffer`, a KV binding.
    Instance,
    /// A function.
    Function,
    /// A JavaScript `BigInt`.
    BigInt,
    /// Anything else (a symbol).
    Other,
}

/// A boolean, number or string leaf, as [`super::strict`] hands it to a visitor.
#[derive(Debug, Clone, PartialEq)]
pub enum Plain {
    /// A boolean.
    Bool(bool),
    /// A number (JavaScript numbers are all `f64`).
    Number(f64),
    /// A string.
    Text(String),
}

/// A value option structs are read from.
pub trait Source: Sized {
    /// Reads a value kept as is (a handle), or, where [`Source::READS_STRUCTURES`], an array
    /// or object a self-describing type asks for.
    type Leaf: for<'de> Deserializer<'de>;

    /// Whether a self-describing type (`deserialize_any`) may read arrays and objects through
    /// [`Source::leaf`]: parsed JSON does (handles are JSON values there); in the shell handles
    /// are kept whole instead, and the option types that read `any` take only plain leaves.
    const READS_STRUCTURES: bool;

    /// Its kind.
    fn kind(&self) -> Kind;
    /// An object's own enumerable names, in order; empty for anything else.
    fn names(&self) -> Vec<String>;
    /// An object's field `name`; [`Kind::Missing`] when it has none.
    fn field(&self, name: &str) -> Self;
    /// An array's items; empty for anything else.
    fn items(&self) -> Vec<Self>;
    /// A boolean, number or string's value; `None` for any other kind.
    fn plain(self) -> Option<Plain>;
    /// The deserializer of this value.
    fn leaf(self) -> Self::Leaf;
}

impl Source for serde_json::Value {
    type Leaf = serde_json::Value;
    const READS_STRUCTURES: bool = true;

    fn kind(&self) -> Kind {
        match self {
            serde_json::Value::Null => Kind::Null,
            serde_json::Value::Bool(_) => Kind::Bool,
            serde_json::Value::Number(_) => Kind::Number,
            serde_json::Value::String(_) => Kind::String,
            serde_json::Value::Array(_) => Kind::Array,
            serde_json::Value::Object(_) => Kind::Object,
        }
    }

    fn names(&self) -> Vec<String> {
        match self {
            serde_json::Value::Object(o) => o.keys().cloned().collect(),
            _ => Vec::new(),
        }
    }

    fn field(&self, name: &str) -> Self {
        // JSON has no `undefined`; an absent name reads as null, which options treat alike.
        self.get(name).cloned().unwrap_or(serde_json::Value::Null)
    }

    fn items(&self) -> Vec<Self> {
        match self {
            serde_json::Value::Array(a) => a.clone(),
            _ => Vec::new(),
        }
    }

    fn plain(self) -> Option<Plain> {
        match self {
            serde_json::Value::Bool(b) => Some(Plain::Bool(b)),
            serde_json::Value::Number(n) => n.as_f64().map(Plain::Number),
            serde_json::Value::String(s) => Some(Plain::Text(s)),
            _ => None,
        }
    }

    fn leaf(self) -> Self::Leaf {
        self
    }
}
