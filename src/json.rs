//! The JSON the core reads and writes: config and request objects (as the shell's
//! `JSON.stringify` gives them), token endpoint answers, stored envelopes, claims and JWT parts.
//!
//! Hand-written instead of serde because a generic deserializer was a third of the wasm, and the
//! code V8 compiles lazily while the first client is built (BENCHMARKS.md). Numbers keep the
//! text the sender wrote: nothing here needs floating point, and integers stay exact. Duplicate
//! names resolve to the last one, as `JSON.parse` does in the runtime the caller reads with.

use std::fmt::Write as _;

/// Nesting beyond this is refused, so hostile input cannot exhaust the stack.
pub const MAX_DEPTH: usize = 64;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number, as written.
    Number(Number),
    /// A string, unescaped.
    String(String),
    /// An array.
    Array(Vec<Value>),
    /// An object, names in document order.
    Object(Object),
}

/// A JSON number literal, kept as text (it has passed the RFC 8259 grammar).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number(String);

/// A JSON object: name/value pairs in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Object(Vec<(String, Value)>);

/// Why a text is not JSON (no position: the text may be a secret and is never quoted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParseError;

impl Number {
    /// The literal as written, e.g. `1e+300`.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The value when it is a non-negative integer literal that fits.
    pub fn as_u64(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

/// The integer part of a plain decimal (`3599`, `3599.5`); `None` for signs and exponents.
pub fn whole_part(text: &str) -> Option<u64> {
    let int = match text.split_once('.') {
        Some((int, frac)) if !frac.is_empty() && frac.bytes().all(|b| b.is_ascii_digit()) => int,
        Some(_) => return None,
        None => text,
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    int.parse().ok()
}

impl From<u64> for Number {
    fn from(n: u64) -> Self {
        Number(n.to_string())
    }
}

impl Object {
    /// An empty object.
    pub fn new() -> Self {
        Object(Vec::new())
    }

    /// The value under `name` (the last one, if the sender repeated it).
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v)
    }

    /// Mutable access to the value under `name`.
    pub fn get_mut(&mut self, name: &str) -> Option<&mut Value> {
        self.0
            .iter_mut()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }

    /// Sets `name`, replacing an existing value in place or appending.
    pub fn insert(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        match self.get_mut(name) {
            Some(slot) => *slot = value,
            None => self.0.push((name.to_owned(), value)),
        }
    }

    /// The names, in document order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// Whether it has no members.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl Value {
    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<&Object> {
        match self {
            Value::Object(o) => Some(o),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The compact JSON text.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    /// Appends the compact JSON text to `out`.
    pub fn write(&self, out: &mut String) {
        match self {
            Value::Null => out.push_str("null"),
            Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Value::Number(n) => out.push_str(&n.0),
            Value::String(s) => write_string(out, s),
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    v.write(out);
                }
                out.push(']');
            }
            Value::Object(o) => {
                out.push('{');
                for (i, (k, v)) in o.0.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write_string(out, k);
                    out.push(':');
                    v.write(out);
                }
                out.push('}');
            }
        }
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Number(n.into())
    }
}

impl From<Option<u64>> for Value {
    fn from(n: Option<u64>) -> Self {
        n.map_or(Value::Null, Value::from)
    }
}

impl From<Option<String>> for Value {
    fn from(s: Option<String>) -> Self {
        s.map_or(Value::Null, Value::String)
    }
}

impl From<Object> for Value {
    fn from(o: Object) -> Self {
        Value::Object(o)
    }
}

impl<T: Into<Value>> From<Vec<T>> for Value {
    fn from(items: Vec<T>) -> Self {
        Value::Array(items.into_iter().map(Into::into).collect())
    }
}

/// Appends `s` as a JSON string: `"` and `\` escaped, control characters as `\n`-style or
/// `\u00XX` escapes, everything else as is (the same bytes serde_json wrote for envelopes).
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses a complete JSON text (RFC 8259); surrounding whitespace allowed.
///
/// # Errors
/// [`ParseError`] for anything else: invalid UTF-8, bad syntax, lone surrogates, nesting past
/// [`MAX_DEPTH`], trailing characters.
pub fn parse(bytes: &[u8]) -> Result<Value, ParseError> {
    let text = std::str::from_utf8(bytes).map_err(|_| ParseError)?;
    let mut p = Parser { s: text, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i == p.s.len() {
        Ok(v)
    } else {
        Err(ParseError)
    }
}

struct Parser<'a> {
    s: &'a str,
    i: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.ws();
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn literal(&mut self, word: &str, v: Value) -> Result<Value, ParseError> {
        if self.s[self.i..].starts_with(word) {
            self.i += word.len();
            Ok(v)
        } else {
            Err(ParseError)
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, ParseError> {
        if depth > MAX_DEPTH {
            return Err(ParseError);
        }
        self.ws();
        match self.peek().ok_or(ParseError)? {
            b'n' => self.literal("null", Value::Null),
            b't' => self.literal("true", Value::Bool(true)),
            b'f' => self.literal("false", Value::Bool(false)),
            b'"' => self.string().map(Value::String),
            b'[' => {
                self.i += 1;
                let mut items = Vec::new();
                if !self.eat(b']') {
                    loop {
                        items.push(self.value(depth + 1)?);
                        if self.eat(b']') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(ParseError);
                        }
                    }
                }
                Ok(Value::Array(items))
            }
            b'{' => {
                self.i += 1;
                let mut members = Vec::new();
                if !self.eat(b'}') {
                    loop {
                        self.ws();
                        let name = self.string()?;
                        if !self.eat(b':') {
                            return Err(ParseError);
                        }
                        members.push((name, self.value(depth + 1)?));
                        if self.eat(b'}') {
                            break;
                        }
                        if !self.eat(b',') {
                            return Err(ParseError);
                        }
                    }
                }
                Ok(Value::Object(Object(members)))
            }
            _ => self.number().map(Value::Number),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        self.i - start
    }

    fn number(&mut self) -> Result<Number, ParseError> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.digits() {
            0 => return Err(ParseError),
            n if n > 1 && self.s.as_bytes()[self.i - n] == b'0' => return Err(ParseError),
            _ => {}
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(ParseError);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.i += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(ParseError);
            }
        }
        Ok(Number(self.s[start..self.i].to_owned()))
    }

    fn string(&mut self) -> Result<String, ParseError> {
        if self.peek() != Some(b'"') {
            return Err(ParseError);
        }
        self.i += 1;
        let mut out = String::new();
        loop {
            // Copy the run up to the next quote, backslash or control character at once.
            let rest = &self.s[self.i..];
            let run = rest
                .bytes()
                .position(|b| b == b'"' || b == b'\\' || b < 0x20)
                .ok_or(ParseError)?;
            out.push_str(&rest[..run]);
            self.i += run;
            match self.s.as_bytes()[self.i] {
                b'"' => {
                    self.i += 1;
                    return Ok(out);
                }
                b'\\' => {
                    self.i += 1;
                    let c = match self.peek().ok_or(ParseError)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            self.i += 1;
                            let c = self.unicode_escape()?;
                            out.push(c);
                            continue;
                        }
                        _ => return Err(ParseError),
                    };
                    self.i += 1;
                    out.push(c);
                }
                _ => return Err(ParseError),
            }
        }
    }

    /// After `\u`: four hex digits, and for a high surrogate the `\uXXXX` of its low half.
    fn unicode_escape(&mut self) -> Result<char, ParseError> {
        let high = self.hex4()?;
        if !(0xD800..0xDC00).contains(&high) {
            return char::from_u32(high).ok_or(ParseError);
        }
        if !self.s[self.i..].starts_with("\\u") {
            return Err(ParseError);
        }
        self.i += 2;
        let low = self.hex4()?;
        if !(0xDC00..0xE000).contains(&low) {
            return Err(ParseError);
        }
        char::from_u32(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)).ok_or(ParseError)
    }

    fn hex4(&mut self) -> Result<u32, ParseError> {
        let digits = self.s.get(self.i..self.i + 4).ok_or(ParseError)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(ParseError);
        }
        self.i += 4;
        u32::from_str_radix(digits, 16).map_err(|_| ParseError)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_compact_text() {
        for text in [
            r#"{"a":[1,-2.5,3e+7,true,false,null],"b":{"c":"\"\\\n\u0001é😀"}}"#,
            "[]",
            "{}",
            r#""""#,
            "0",
        ] {
            assert_eq!(parse(text.as_bytes()).unwrap().to_json(), text);
        }
    }

    #[test]
    fn refuses_what_rfc_8259_refuses() {
        for text in [
            "",
            "01",
            "1.",
            ".5",
            "-",
            "1e",
            "+1",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "'a'",
            "nul",
            "\"\\x\"",
            "\"\u{1}\"",
            "\"\\ud800\"",
            "\"\\udc00\"",
            "[1] 2",
            "\"abc",
            "NaN",
        ] {
            assert_eq!(parse(text.as_bytes()), Err(ParseError), "{text:?}");
        }
        assert_eq!(parse(b"\"\xff\""), Err(ParseError));
        let deep = format!("{}{}", "[".repeat(MAX_DEPTH + 2), "]".repeat(MAX_DEPTH + 2));
        assert_eq!(parse(deep.as_bytes()), Err(ParseError));
    }

    #[test]
    fn escapes_and_surrogate_pairs_decode() {
        let v = parse(br#""\u00e9\ud83d\ude00\/""#).unwrap();
        assert_eq!(v.as_str(), Some("é😀/"));
    }

    #[test]
    fn duplicate_names_resolve_to_the_last_as_json_parse_does() {
        let v = parse(br#"{"a":1,"a":2}"#).unwrap();
        assert_eq!(v.as_object().unwrap().get("a"), Some(&Value::from(2)));
    }

    #[test]
    fn whole_parts() {
        assert_eq!(whole_part("3599"), Some(3599));
        assert_eq!(whole_part("3599.9"), Some(3599));
        for bad in ["-1", "1e3", "", ".5", "5.", "18446744073709551616", " 1"] {
            assert_eq!(whole_part(bad), None, "{bad}");
        }
    }
}
