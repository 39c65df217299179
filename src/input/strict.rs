//! A serde [`Deserializer`] over a [`Source`] that reads option objects strictly.
//!
//! serde-wasm-bindgen reads a struct by fetching its declared fields and never sees the other
//! names, so `#[serde(deny_unknown_fields)]` cannot fire there (its issue #39). This layer does
//! what option reading needs on top of any source:
//! - a struct is read only from a plain object, and a name the struct does not declare is
//!   refused by its full path (`unknown option auth.clientID`);
//! - a value of the wrong kind is refused by path and by what was expected (the visitor's own
//!   `expecting`), never by quoting it: a PEM pasted into the wrong field must not reach a message;
//! - plain leaves (booleans, numbers, strings) are handed to the visitor here, as
//!   serde-wasm-bindgen would; values kept as they are (functions, bindings) go to the source's
//!   own deserializer. One reader of leaves for every option type, instead of one copy of
//!   serde-wasm-bindgen's per type read (issue 24: bytes the Worker ships and compiles).

use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeSeed, Deserializer, Expected, MapAccess, SeqAccess, Visitor};

use super::source::{Kind, Plain, Source};

/// A message naming the option and what is wrong; never holds a value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

impl de::Error for InputError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        InputError(msg.to_string())
    }

    // serde's defaults would quote the value; these name only what was expected.
    fn invalid_type(_: de::Unexpected<'_>, expected: &dyn Expected) -> Self {
        InputError(format!("must be {expected}"))
    }

    fn invalid_value(_: de::Unexpected<'_>, expected: &dyn Expected) -> Self {
        InputError(format!("must be {expected}"))
    }
}

/// Where a value sits: `root` names the whole object in messages, `path` the option inside it.
#[derive(Debug, Clone)]
struct Path {
    root: &'static str,
    path: String,
}

impl Path {
    fn child(&self, name: &str) -> Path {
        let path = if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        };
        Path {
            root: self.root,
            path,
        }
    }

    /// "{path} must be {expected}", or the BigInt message.
    fn wrong(&self, kind: Kind, expected: &dyn Expected) -> InputError {
        if kind == Kind::BigInt {
            return InputError(format!(
                "{self} is a BigInt: options must be plain data: no cycles or BigInt values"
            ));
        }
        InputError(format!("{self} must be {expected}"))
    }

    /// Refuses what is not a plain object, and names the first name not in `fields`.
    fn check_object(
        &self,
        kind: Kind,
        names: Vec<String>,
        fields: &[&str],
    ) -> Result<(), InputError> {
        match kind {
            Kind::Object => {}
            Kind::Instance => {
                return Err(InputError(format!(
                    "{self} must be a plain object ({{ ... }}), not a class instance"
                )))
            }
            _ => return Err(InputError(format!("{self} must be an object"))),
        }
        match names.into_iter().find(|n| !fields.contains(&n.as_str())) {
            Some(name) => Err(InputError(format!(
                "unknown option {}: check its spelling against the documented options",
                self.child(&name)
            ))),
            None => Ok(()),
        }
    }
}

impl fmt::Display for Path {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.path.is_empty() {
            self.root
        } else {
            &self.path
        })
    }
}

/// The strict reader of `source`; `root` is what messages call the whole value ("config").
pub(super) struct Strict<S> {
    source: S,
    /// `source.kind()`, asked once: in the shell each answer is several calls into JavaScript.
    kind: Kind,
    at: Path,
}

impl<S: Source> Strict<S> {
    /// Reads `source` as the top-level object called `root` in messages.
    pub(super) fn new(source: S, root: &'static str) -> Self {
        Strict {
            kind: source.kind(),
            source,
            at: Path {
                root,
                path: String::new(),
            },
        }
    }

    fn wrong(&self, expected: &dyn Expected) -> InputError {
        self.at.wrong(self.kind, expected)
    }

    /// Hands a plain leaf of one of `kinds` to `visit`. A visitor's own error (a number out of
    /// range, say) is reported as what the visitor expects.
    fn plain<'de, V: Visitor<'de>>(
        self,
        kinds: &[Kind],
        visitor: V,
        visit: impl FnOnce(Plain, V) -> Result<V::Value, InputError>,
    ) -> Result<V::Value, InputError> {
        if !kinds.contains(&self.kind) {
            return Err(self.wrong(&visitor));
        }
        let expected = Expecting::of(&visitor);
        let Strict { source, kind, at } = self;
        match source.plain() {
            Some(value) => visit(value, visitor).map_err(|_| at.wrong(kind, &expected)),
            None => Err(at.wrong(kind, &expected)),
        }
    }
}

/// A number as serde-wasm-bindgen hands it to `deserialize_any`: a safe integer
/// (`Number.isSafeInteger`) as an `i64`, any other as an `f64`.
fn visit_number<'de, V: Visitor<'de>>(v: f64, visitor: V) -> Result<V::Value, InputError> {
    match safe_integer(v) {
        Some(i) => visitor.visit_i64(i),
        None => visitor.visit_f64(v),
    }
}

/// `v` when it is a whole number within ±(2^53 - 1), where `f64` holds every integer exactly.
fn safe_integer(v: f64) -> Option<i64> {
    const MAX_SAFE: f64 = 9_007_199_254_740_991.0;
    (v.fract() == 0.0 && v.abs() <= MAX_SAFE).then_some(v as i64)
}

/// What a visitor expects, taken before the visitor goes to the source (which consumes it) so
/// that a failed read can still say it. Kept on the stack: a successful read, the common case,
/// allocates nothing; an expectation longer than the buffer moves to the heap.
struct Expecting {
    buf: [u8; 64],
    len: usize,
    spilled: Option<String>,
}

impl Expecting {
    fn of(expected: &dyn Expected) -> Self {
        let mut text = Expecting {
            buf: [0; 64],
            len: 0,
            spilled: None,
        };
        // `write_str` below never fails.
        let _ = write!(text, "{expected}");
        text
    }

    fn as_str(&self) -> &str {
        match &self.spilled {
            Some(text) => text,
            // Only whole `str`s are copied in, so the bytes are UTF-8.
            None => std::str::from_utf8(&self.buf[..self.len]).unwrap_or_default(),
        }
    }
}

impl fmt::Write for Expecting {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if let Some(text) = &mut self.spilled {
            text.push_str(s);
        } else if let Some(room) = self.buf.get_mut(self.len..self.len + s.len()) {
            room.copy_from_slice(s.as_bytes());
            self.len += s.len();
        } else {
            let mut text = self.as_str().to_owned();
            text.push_str(s);
            self.spilled = Some(text);
        }
        Ok(())
    }
}

impl Expected for Expecting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Plain leaves of one kind, each visited as `$visit` says (what serde-wasm-bindgen calls).
macro_rules! leaves {
    ($($method:ident => $kind:ident $visit:expr,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
                self.plain(&[Kind::$kind], visitor, $visit)
            }
        )*
    };
}

/// Refuses what a visitor cannot take: reported as what it expects, as its own errors are.
fn refused<T>() -> Result<T, InputError> {
    Err(InputError(String::new()))
}

fn boolean<'de, V: Visitor<'de>>(value: Plain, visitor: V) -> Result<V::Value, InputError> {
    match value {
        Plain::Bool(b) => visitor.visit_bool(b),
        _ => refused(),
    }
}

fn signed<'de, V: Visitor<'de>>(value: Plain, visitor: V) -> Result<V::Value, InputError> {
    match value {
        Plain::Number(v) => safe_integer(v).map_or_else(refused, |i| visitor.visit_i64(i)),
        _ => refused(),
    }
}

fn unsigned<'de, V: Visitor<'de>>(value: Plain, visitor: V) -> Result<V::Value, InputError> {
    match value {
        Plain::Number(v) => match safe_integer(v).and_then(|i| u64::try_from(i).ok()) {
            Some(u) => visitor.visit_u64(u),
            None => refused(),
        },
        _ => refused(),
    }
}

fn float<'de, V: Visitor<'de>>(value: Plain, visitor: V) -> Result<V::Value, InputError> {
    match value {
        Plain::Number(v) => visitor.visit_f64(v),
        _ => refused(),
    }
}

fn text<'de, V: Visitor<'de>>(value: Plain, visitor: V) -> Result<V::Value, InputError> {
    match value {
        Plain::Text(t) => visitor.visit_string(t),
        _ => refused(),
    }
}

impl<'de, S: Source> Deserializer<'de> for Strict<S> {
    type Error = InputError;

    /// Reached by self-describing types: the option types that take a number or a boolean
    /// (`loggerOptions.logLevel`, `refreshTimer`) and, natively, handles read as JSON values
    /// (`H = serde_json::Value`); the shell's handles arrive through `deserialize_tuple_struct`.
    /// Any kind of data is taken where the source reads structures; functions, class
    /// instances and the rest are refused by kind.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        match self.kind {
            Kind::Null => {
                let expected = Expecting::of(&visitor);
                let Strict { kind, at, .. } = self;
                visitor
                    .visit_unit::<InputError>()
                    .map_err(|_| at.wrong(kind, &expected))
            }
            Kind::Array | Kind::Object if S::READS_STRUCTURES => {
                let expected = Expecting::of(&visitor);
                let Strict { source, kind, at } = self;
                source
                    .leaf()
                    .deserialize_any(visitor)
                    .map_err(|_| at.wrong(kind, &expected))
            }
            _ => self.plain(
                &[Kind::Bool, Kind::Number, Kind::String],
                visitor,
                |value, visitor| match value {
                    Plain::Bool(b) => visitor.visit_bool(b),
                    Plain::Number(v) => visit_number(v, visitor),
                    Plain::Text(t) => visitor.visit_string(t),
                },
            ),
        }
    }

    leaves! {
        deserialize_bool => Bool boolean,
        deserialize_i8 => Number signed,
        deserialize_i16 => Number signed,
        deserialize_i32 => Number signed,
        deserialize_i64 => Number signed,
        deserialize_u8 => Number unsigned,
        deserialize_u16 => Number unsigned,
        deserialize_u32 => Number unsigned,
        deserialize_u64 => Number unsigned,
        deserialize_f32 => Number float,
        deserialize_f64 => Number float,
        deserialize_char => String text,
        deserialize_str => String text,
        deserialize_string => String text,
        deserialize_identifier => String text,
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        match self.kind {
            Kind::Missing | Kind::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, InputError> {
        visitor.visit_newtype_struct(self)
    }

    /// serde-wasm-bindgen's `preserve` arrives here: the value is kept, whatever it is.
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value, InputError> {
        let expected = Expecting::of(&visitor);
        let Strict { source, kind, at } = self;
        source
            .leaf()
            .deserialize_tuple_struct(name, len, visitor)
            .map_err(|_| at.wrong(kind, &expected))
    }

    /// A problem with a plain item is reported for the whole array, as what its visitor
    /// expects ("scopes must be an array of strings"); one inside an object item by the item's
    /// own path ("cache.keepWarm[1].scope").
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        if self.kind != Kind::Array {
            return Err(self.wrong(&visitor));
        }
        let expected = Expecting::of(&visitor);
        let items = self.source.items().into_iter().enumerate();
        let inside = format!("{}[", self.at);
        visitor
            .visit_seq(Items {
                items,
                at: &self.at,
            })
            .map_err(|e| {
                if e.0.contains(&inside) {
                    e
                } else {
                    self.at.wrong(self.kind, &expected)
                }
            })
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, InputError> {
        self.at
            .check_object(self.kind, self.source.names(), fields)?;
        visitor.visit_map(Fields {
            source: self.source,
            at: self.at,
            fields: fields.iter(),
            next: None,
        })
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        visitor.visit_unit()
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        match self.kind {
            Kind::Missing | Kind::Null => visitor.visit_unit(),
            _ => Err(self.wrong(&visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, InputError> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        Err(self.wrong(&visitor))
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        Err(self.wrong(&visitor))
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, InputError> {
        self.deserialize_seq(visitor)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        Err(self.wrong(&visitor))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, InputError> {
        Err(self.wrong(&visitor))
    }
}

/// The declared fields an object has, in declaration order; undefined ones are absent.
struct Fields<S> {
    source: S,
    at: Path,
    fields: std::slice::Iter<'static, &'static str>,
    next: Option<Strict<S>>,
}

impl<'de, S: Source> MapAccess<'de> for Fields<S> {
    type Error = InputError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, InputError> {
        for name in self.fields.by_ref() {
            let source = self.source.field(name);
            let kind = source.kind();
            if kind == Kind::Missing {
                continue;
            }
            self.next = Some(Strict {
                source,
                kind,
                at: self.at.child(name),
            });
            return seed
                .deserialize(de::value::StrDeserializer::<InputError>::new(name))
                .map(Some);
        }
        Ok(None)
    }

    fn next_value_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<T::Value, InputError> {
        match self.next.take() {
            Some(value) => seed.deserialize(value),
            None => Err(InputError("a value was read before its name".to_owned())),
        }
    }
}

/// An array's items; errors in plain items are replaced by the array's own message.
struct Items<'a, S> {
    items: std::iter::Enumerate<std::vec::IntoIter<S>>,
    at: &'a Path,
}

impl<'de, S: Source> SeqAccess<'de> for Items<'_, S> {
    type Error = InputError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, InputError> {
        match self.items.next() {
            Some((i, item)) if item.kind() == Kind::Object => {
                let at = Path {
                    root: self.at.root,
                    path: format!("{}[{i}]", self.at),
                };
                let kind = Kind::Object;
                seed.deserialize(Strict {
                    source: item,
                    kind,
                    at,
                })
                .map(Some)
            }
            Some((_, item)) => seed.deserialize(Strict::new(item, "item")).map(Some),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_integers_are_those_number_is_safe_integer_accepts() {
        assert_eq!(safe_integer(3.0), Some(3));
        assert_eq!(safe_integer(-0.0), Some(0));
        assert_eq!(
            safe_integer(-9_007_199_254_740_991.0),
            Some(-9_007_199_254_740_991)
        );
        assert_eq!(safe_integer(9_007_199_254_740_992.0), None);
        assert_eq!(safe_integer(1.5), None);
        assert_eq!(safe_integer(f64::NAN), None);
        assert_eq!(safe_integer(f64::INFINITY), None);
    }

    #[test]
    fn expectations_longer_than_the_buffer_are_kept_whole() {
        struct Long;
        impl Expected for Long {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a value described at some length, ")?;
                f.write_str("longer than the sixty-four bytes kept on the stack")
            }
        }
        let text = Expecting::of(&Long);
        assert!(text.spilled.is_some());
        assert_eq!(
            text.as_str(),
            "a value described at some length, longer than the sixty-four bytes kept on the stack"
        );
        let short = Expecting::of(&"a string");
        assert!(short.spilled.is_none());
        assert_eq!(short.as_str(), "a string");
    }
}
