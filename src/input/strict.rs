//! A serde [`Deserializer`] over a [`Source`] that reads option objects strictly.
//!
//! serde-wasm-bindgen reads a struct by fetching its declared fields and never sees the other
//! names, so `#[serde(deny_unknown_fields)]` cannot fire there (its issue #39). This layer does
//! what option reading needs on top of any source:
//! - a struct is read only from a plain object, and a name the struct does not declare is
//!   refused by its full path (`unknown option auth.clientID`);
//! - a value of the wrong kind is refused by path and by what was expected (the visitor's own
//!   `expecting`), never by quoting it: a PEM pasted into the wrong field must not reach a message;
//! - leaves and values kept as they are (functions, bindings) go to the source's own
//!   deserializer, so serde-wasm-bindgen does the reading in JavaScript.

use std::fmt::{self, Write as _};

use serde::de::{self, DeserializeSeed, Deserializer, Expected, MapAccess, SeqAccess, Visitor};

use super::source::{Kind, Source};

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

    /// Hands a leaf of the right kind to the source's deserializer. Its errors come from the
    /// visitor (a number out of range, say) and are reported as what the visitor expects.
    fn leaf<'de, V: Visitor<'de>>(
        self,
        kinds: &[Kind],
        visitor: V,
        read: impl FnOnce(S::Leaf, V) -> Result<V::Value, <S::Leaf as Deserializer<'de>>::Error>,
    ) -> Result<V::Value, InputError> {
        if !kinds.contains(&self.kind) {
            return Err(self.wrong(&visitor));
        }
        let expected = Expecting::of(&visitor);
        let Strict { source, kind, at } = self;
        read(source.leaf(), visitor).map_err(|_| at.wrong(kind, &expected))
    }
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

macro_rules! leaves {
    ($($method:ident => $kind:ident,)*) => {
        $(
            fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
                self.leaf(&[Kind::$kind], visitor, |d, v| d.$method(v))
            }
        )*
    };
}

impl<'de, S: Source> Deserializer<'de> for Strict<S> {
    type Error = InputError;

    /// Reached by self-describing types, which here are only handles read as JSON values
    /// (native tests and fuzzing: `H = serde_json::Value`); the shell's handles arrive through
    /// `deserialize_tuple_struct`. Any kind of data is taken; functions, class instances and
    /// the rest are refused by kind.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, InputError> {
        let kinds = [
            Kind::Null,
            Kind::Bool,
            Kind::Number,
            Kind::String,
            Kind::Array,
            Kind::Object,
        ];
        self.leaf(&kinds, visitor, |d, v| d.deserialize_any(v))
    }

    leaves! {
        deserialize_bool => Bool,
        deserialize_i8 => Number,
        deserialize_i16 => Number,
        deserialize_i32 => Number,
        deserialize_i64 => Number,
        deserialize_u8 => Number,
        deserialize_u16 => Number,
        deserialize_u32 => Number,
        deserialize_u64 => Number,
        deserialize_f32 => Number,
        deserialize_f64 => Number,
        deserialize_char => String,
        deserialize_str => String,
        deserialize_string => String,
        deserialize_identifier => String,
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
