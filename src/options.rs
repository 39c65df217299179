//! Reading the caller's option objects (config, request) from parsed JSON: every option is
//! known by name, every type error names its path and the expected type, and no message quotes
//! a value (a PEM pasted into the wrong field must not reach an error).

use crate::config::{FUNCTION_MARK, OBJECT_MARK};
use crate::error::Error;
use crate::json::{Number, Object, Value};

/// One option object at `path` (e.g. `auth.clientCertificate`; empty for the root).
pub struct Options<'a> {
    path: &'a str,
    object: &'a Object,
    code: &'static str,
}

impl<'a> Options<'a> {
    /// `value` as an option object whose names are all in `known`; `None` when absent or null.
    ///
    /// # Errors
    /// `code` when it is not an object or holds an unknown name.
    pub fn read(
        value: Option<&'a Value>,
        path: &'a str,
        code: &'static str,
        known: &[&str],
    ) -> Result<Option<Self>, Error> {
        let object = match value {
            None | Some(Value::Null) => return Ok(None),
            Some(Value::Object(o)) => o,
            Some(Value::String(s)) if s == OBJECT_MARK => {
                return Err(Error::config(
                    code,
                    format!("{path} must be a plain object ({{ ... }}), not a class instance"),
                ));
            }
            Some(_) => {
                let what = if path.is_empty() { root(code) } else { path };
                return Err(Error::config(code, format!("{what} must be an object")));
            }
        };
        if let Some(name) = object.names().find(|n| !known.contains(n)) {
            return Err(Error::config(
                code,
                format!(
                    "unknown option {}: check its spelling against the documented options",
                    join(path, name)
                ),
            ));
        }
        Ok(Some(Options { path, object, code }))
    }

    /// The raw value of `name`, `None` when absent or null.
    pub fn value(&self, name: &str) -> Option<&'a Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    /// Whether `name` holds anything (functions and bindings arrive as markers).
    pub fn present(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    /// A string option.
    ///
    /// # Errors
    /// `code` naming the field when it is not a string (a Buffer or a function included: the
    /// shell's serialization turned those into marks).
    pub fn string(&self, name: &str) -> Result<Option<String>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::String(s)) if s != OBJECT_MARK && s != FUNCTION_MARK => Ok(Some(s.clone())),
            Some(_) => Err(self.type_error(name, "a string")),
        }
    }

    /// A boolean option.
    ///
    /// # Errors
    /// `code` naming the field when it is not a boolean.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(self.type_error(name, "a boolean")),
        }
    }

    /// An array-of-strings option.
    ///
    /// # Errors
    /// `code` naming the field when it is not an array of strings.
    pub fn strings(&self, name: &str) -> Result<Option<Vec<String>>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .map(Some)
                .ok_or_else(|| self.type_error(name, "an array of strings")),
            Some(_) => Err(self.type_error(name, "an array of strings")),
        }
    }

    /// A whole-number option within `min..=max`.
    ///
    /// # Errors
    /// `code` naming the field and the range otherwise.
    pub fn whole_number(&self, name: &str, min: u64, max: u64) -> Result<Option<u64>, Error> {
        match self.value(name) {
            None => Ok(None),
            Some(Value::Number(n)) => match Number::as_u64(n) {
                Some(v) if (min..=max).contains(&v) => Ok(Some(v)),
                _ => Err(self.range_error(name, min, max)),
            },
            Some(_) => Err(self.range_error(name, min, max)),
        }
    }

    fn path_of(&self, name: &str) -> String {
        join(self.path, name)
    }

    fn type_error(&self, name: &str, expected: &str) -> Error {
        Error::config(
            self.code,
            format!("{} must be {expected}", self.path_of(name)),
        )
    }

    fn range_error(&self, name: &str, min: u64, max: u64) -> Error {
        Error::config(
            self.code,
            format!(
                "{} must be a whole number from {min} to {max}",
                self.path_of(name)
            ),
        )
    }
}

fn root(code: &str) -> &'static str {
    if code == "invalid_request" {
        "request"
    } else {
        "config"
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}
