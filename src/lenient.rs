//! Reading JSON documents that other parties wrote (token endpoints, protected APIs, stores):
//! a body must be a JSON object, and a field may hold anything without failing the document,
//! so the reader of the field decides what a wrong type means (an error naming the field, or
//! "absent" for diagnostics).

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, DeserializeOwned, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;

/// `body` as a `T` read from a JSON object; `None` for anything else. An array is not read
/// positionally, as serde would read a struct from one; a derived `T` refuses a repeated name.
pub fn object<T: DeserializeOwned>(body: &[u8]) -> Option<T> {
    serde_json::from_slice::<ObjectOnly<T>>(body)
        .ok()
        .map(|o| o.0)
}

struct ObjectOnly<T>(T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for ObjectOnly<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Forward<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for Forward<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(Forward(PhantomData)).map(ObjectOnly)
    }
}

/// A field of any JSON type, kept only as far as a scalar: what a lenient reader needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Scalar {
    /// Absent or `null`.
    #[default]
    Absent,
    /// A string.
    Str(String),
    /// A non-negative integer.
    Unsigned(u64),
    /// A negative integer.
    Negative(i64),
    /// A number with a fraction or an exponent.
    Float(f64),
    /// A boolean, an array or an object (named for messages).
    Other(&'static str),
}

impl Scalar {
    /// The string, if it is one.
    pub fn into_string(self) -> Option<String> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ScalarVisitor)
    }
}

struct ScalarVisitor;

impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Other("a boolean"))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::Unsigned(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(u64::try_from(v).map_or(Scalar::Negative(v), Scalar::Unsigned))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::Float(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an array"))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Scalar::Other("an object"))
    }
}

/// An array field whose items are kept as scalars; anything else is an empty list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Scalars(pub Vec<Scalar>);

impl<'de> Deserialize<'de> for Scalars {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match d.deserialize_any(ScalarsVisitor)? {
            Some(items) => Ok(Scalars(items)),
            None => Ok(Scalars::default()),
        }
    }
}

struct ScalarsVisitor;

impl<'de> Visitor<'de> for ScalarsVisitor {
    type Value = Option<Vec<Scalar>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Scalar>()? {
            items.push(item);
        }
        Ok(Some(items))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Deserialize)]
    struct Doc {
        #[serde(default)]
        a: Scalar,
        #[serde(default)]
        b: Scalars,
    }

    #[test]
    fn fields_never_fail_and_bodies_must_be_objects() {
        let d: Doc = object(br#"{"a":{"x":[1,2]},"b":[1,"x",-2,1.5,null]}"#).unwrap();
        assert_eq!(d.a, Scalar::Other("an object"));
        assert_eq!(
            d.b.0,
            vec![
                Scalar::Unsigned(1),
                Scalar::Str("x".into()),
                Scalar::Negative(-2),
                Scalar::Float(1.5),
                Scalar::Absent
            ]
        );
        let d: Doc = object(br#"{"b":"no"}"#).unwrap();
        assert_eq!((d.a, d.b.0.len()), (Scalar::Absent, 0));
        assert!(
            object::<Doc>(br#"[{"x":1}, []]"#).is_none(),
            "not read positionally"
        );
        assert!(object::<Doc>(b"nope").is_none());
    }
}
