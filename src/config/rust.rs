//! The configuration of the Rust drivers (`native`, `worker`): the JS configuration object as
//! JSON, validated by [`ClientConfig::from_input`] like the JS one, so a bad option gets the
//! same code and message. The options that hold JavaScript values are builder methods there.

use serde_json::{Map, Value};

use super::{ClientConfig, Environment, CODE};
use crate::error::Error;
use crate::input::{self, ConfigInput};

/// What a Rust builder was given besides the JSON.
#[derive(Debug, Clone, Copy, Default)]
pub struct RustHandles {
    /// A store was given (`cache.store`).
    pub store: bool,
    /// An assertion callback was given (`auth.clientAssertion` as a function).
    pub assertion: bool,
}

/// The options whose values are JavaScript objects, and the builder method to use instead.
const JS_VALUES: [(&str, &str, &str); 6] = [
    ("cache", "store", "the builder's store method"),
    (
        "system",
        "fetch",
        "the builder's http_client method (native)",
    ),
    (
        "system",
        "networkClient",
        "the builder's http_client method (native)",
    ),
    ("system", "logger", "the builder's logger method"),
    ("system", "loggerOptions", "the builder's logger method"),
    (
        "system",
        "now",
        "nothing: the Rust drivers read the system clock",
    ),
];

impl ClientConfig {
    /// Validates the JS configuration object given as JSON to a Rust builder.
    ///
    /// # Errors
    /// The JS constructor's errors; `invalid_config` naming an option that holds a JavaScript
    /// value (and the builder method instead), `invalid_credential` for two assertions.
    pub fn from_value(
        mut config: Value,
        handles: RustHandles,
        env: &Environment,
    ) -> Result<Self, Error> {
        let Some(object) = config.as_object_mut() else {
            return Err(Error::config(
                CODE,
                "config must be an object: { auth: { clientId, authority, clientSecret } }",
            ));
        };
        for (section, name, instead) in JS_VALUES {
            if object.get(section).and_then(|s| s.get(name)).is_some() {
                return Err(Error::config(
                    CODE,
                    format!("{section}.{name} holds a JavaScript value; in Rust use {instead}"),
                ));
            }
        }
        let assertion = object.get("auth").and_then(|a| a.get("clientAssertion"));
        match (assertion, handles.assertion) {
            (Some(Value::String(_)), true) => {
                return Err(Error::config(
                    "invalid_credential",
                    "auth.clientAssertion is set and the builder's assertion method gives a callback: keep one",
                ))
            }
            (Some(Value::String(_)) | None, _) => {}
            (Some(_), _) => {
                return Err(Error::config(
                    "invalid_credential",
                    "auth.clientAssertion must be a string (a signed JWT); for a callback use the builder's assertion method",
                ))
            }
        }
        // Placeholders that are not strings: the core reads them as a store and a callback.
        if handles.store {
            section(object, "cache")?.insert("store".into(), Value::Bool(true));
        }
        if handles.assertion {
            section(object, "auth")?.insert("clientAssertion".into(), Value::Bool(true));
        }
        let input: ConfigInput<Value> =
            input::read(config, "config").map_err(|e| Error::config(CODE, e.0))?;
        Self::from_input(input, env).map(|(config, _)| config)
    }
}

/// `config[name]` as an object, created when absent.
fn section<'a>(
    config: &'a mut Map<String, Value>,
    name: &str,
) -> Result<&'a mut Map<String, Value>, Error> {
    config
        .entry(name)
        .or_insert_with(|| Value::Object(Map::new()))
        .as_object_mut()
        .ok_or_else(|| Error::config(CODE, format!("config.{name} must be an object")))
}
