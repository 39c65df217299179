//! The exported client: drives the core's steps with fetch, the clock and randomness, and
//! shares one token request among concurrent callers (single-flight).

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use js_sys::{Function, Object, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::{future_to_promise, JsFuture};

use super::errors::to_js;
use super::http::send;
use super::js::{call_method, get, get_path, now_ms, optional_function, resolve, set, uuid};
use crate::cache::{CachedToken, TokenSource};
use crate::config::{from_deserializer, AssertionInput, ClientConfig, Credential};
use crate::error::Error;
use crate::flow::{Client, Prepared, RawRequest};
use crate::secret::ClientSecret;

/// The wasm side of `ConfidentialClientApplication`.
#[wasm_bindgen]
pub struct WasmClient {
    inner: Rc<Inner>,
}

struct Inner {
    core: RefCell<Client>,
    fetch: Option<Function>,
    now: Option<Function>,
    logger: Option<Function>,
    assertion: Option<Function>,
    /// In-progress token requests by flight key; removed when they settle.
    flights: RefCell<HashMap<String, Promise>>,
}

#[wasm_bindgen]
impl WasmClient {
    /// Validates `config`; throws a configuration error object on bad input.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<WasmClient, JsValue> {
        Inner::new(&config)
            .map(|inner| WasmClient {
                inner: Rc::new(inner),
            })
            .map_err(|e| to_js(&e, None, None))
    }

    /// `acquireTokenByClientCredential`: resolves to a result object, rejects with an error object.
    pub fn acquire(&self, request: JsValue) -> Promise {
        let inner = self.inner.clone();
        future_to_promise(async move { inner.acquire(request).await })
    }

    /// Empties the memory level.
    #[wasm_bindgen(js_name = clearCache)]
    pub fn clear_cache(&self) -> Promise {
        self.inner.core.borrow_mut().clear_memory();
        Promise::resolve(&JsValue::UNDEFINED)
    }
}

/// `scopeForResource(resource)`.
#[wasm_bindgen(js_name = scopeForResource)]
pub fn scope_for_resource(resource: String) -> Result<String, JsValue> {
    if resource.is_empty() {
        let err = Error::config(
            "invalid_config",
            "resource must be a non-empty resource URI, e.g. \"https://graph.microsoft.com\"",
        );
        return Err(to_js(&err, None, None));
    }
    Ok(crate::scope::scope_for_resource(&resource))
}

/// `adminConsentUrl({ tenant, clientId, redirectUri })`.
#[wasm_bindgen(js_name = adminConsentUrl)]
pub fn admin_consent_url(options: JsValue) -> Result<String, JsValue> {
    let text = |name| get(&options, name).as_string();
    crate::authority::admin_consent_url(
        &text("tenant").unwrap_or_default(),
        &text("clientId").unwrap_or_default(),
        text("redirectUri").as_deref(),
    )
    .map_err(|e| to_js(&e, None, None))
}

impl Inner {
    fn new(config: &JsValue) -> Result<Self, Error> {
        if !config.is_object() {
            return Err(Error::config(
                "invalid_config",
                "config must be an object: { auth: { clientId, authority, clientSecret } }",
            ));
        }
        let raw = from_deserializer(serde_wasm_bindgen::Deserializer::from(config.clone()))?;
        let assertion_value = get_path(config, &["auth", "clientAssertion"]);
        let assertion = if assertion_value.is_undefined() {
            None
        } else if let Some(s) = assertion_value.as_string() {
            Some(AssertionInput::Static(ClientSecret::new(s)))
        } else if assertion_value.is_function() {
            Some(AssertionInput::Callback)
        } else {
            return Err(Error::config(
                "invalid_credential",
                "auth.clientAssertion must be a string (a signed JWT) or a function returning one",
            ));
        };
        let core = ClientConfig::from_raw(raw, assertion)?;
        if core.store {
            return Err(Error::config(
                "unsupported_option",
                "cache.store is not supported by this build yet: remove it (the memory cache is on by default)",
            ));
        }
        Ok(Inner {
            core: RefCell::new(Client::new(core)),
            fetch: optional_function(config, &["system", "fetch"])?,
            now: optional_function(config, &["system", "now"])?,
            logger: optional_function(config, &["system", "logger"])?,
            assertion: optional_function(config, &["auth", "clientAssertion"])?,
            flights: RefCell::new(HashMap::new()),
        })
    }

    async fn acquire(self: Rc<Self>, request: JsValue) -> Result<JsValue, JsValue> {
        let (prepared, wait_until) = self.prepare(&request).map_err(|e| to_js(&e, None, None))?;
        let corr = prepared.correlation_id.clone();
        let now = now_ms(self.now.as_ref()).map_err(|e| to_js(&e, Some(&corr), None))?;
        let hit = self.core.borrow_mut().lookup(&prepared, now);
        if let Some((token, _freshness)) = hit {
            self.log("verbose", "token served from the memory cache");
            return Ok(result(&token, TokenSource::Memory, &corr));
        }
        // Claims requests never share a flight with plain ones: the tokens differ.
        let flight_key = format!(
            "{}|{}",
            prepared.key,
            prepared.claims.as_deref().unwrap_or_default()
        );
        let existing = self.flights.borrow().get(&flight_key).cloned();
        let flight = match existing {
            Some(p) => p,
            None => {
                let me = self.clone();
                let key = flight_key.clone();
                let p = future_to_promise(async move {
                    let out = me.fetch_token(&prepared).await;
                    me.flights.borrow_mut().remove(&key);
                    out
                });
                self.flights.borrow_mut().insert(flight_key, p.clone());
                if let Some(wait_until) = wait_until {
                    // Keeps the request alive in Workers even if its caller's response finishes first.
                    // The caller sees rejections through its own await; waitUntil gets a settled copy.
                    let ignore = Closure::once_into_js(|_: JsValue| ());
                    if let Ok(settled) = call_method(&p, "catch", &[ignore]) {
                        let _ = wait_until.call1(&JsValue::UNDEFINED, &settled);
                    }
                }
                p
            }
        };
        JsFuture::from(flight).await
    }

    fn prepare(&self, request: &JsValue) -> Result<(Prepared, Option<Function>), Error> {
        if !request.is_object() {
            return Err(Error::config(
                "invalid_request",
                "request must be an object: { scopes: [\"https://graph.microsoft.com/.default\"] }",
            ));
        }
        let raw: RawRequest = serde_path_to_error::deserialize(
            serde_wasm_bindgen::Deserializer::from(request.clone()),
        )
        .map_err(|e| {
            let inner = e.inner().to_string();
            let what = match inner.strip_prefix("unknown field ") {
                Some(rest) => format!(
                    "unknown option {}",
                    rest.split(',').next().unwrap_or(rest).trim_matches('`')
                ),
                None => format!("request.{} has the wrong type", e.path()),
            };
            Error::config("invalid_request", what)
        })?;
        let wait_until = optional_function(request, &["waitUntil"])?;
        let prepared = self.core.borrow().prepare(raw, uuid())?;
        Ok((prepared, wait_until))
    }

    async fn fetch_token(&self, p: &Prepared) -> Result<JsValue, JsValue> {
        let corr = p.correlation_id.as_str();
        let fail = |e: Error, cause: Option<JsValue>| to_js(&e, Some(corr), cause);
        let assertion = self
            .assertion_for_request()
            .await
            .map_err(|e| fail(e, None))?;
        let (req, timeout_ms) = {
            let core = self.core.borrow();
            (
                core.token_request(p, assertion.as_ref().map(ClientSecret::secret)),
                core.config().timeout_ms,
            )
        };
        // Lifetimes count from the send, not the receipt: never overestimate a token's life.
        let sent_at = now_ms(self.now.as_ref()).map_err(|e| fail(e, None))?;
        let resp = send(self.fetch.as_ref(), &req, timeout_ms)
            .await
            .map_err(|(e, cause)| fail(e, cause))?;
        let token = self
            .core
            .borrow_mut()
            .complete(p, &resp, sent_at)
            .map_err(|e| {
                self.log(
                    "warning",
                    &format!("token request failed: {} ({})", e.message(), e.code()),
                );
                fail(e, None)
            })?;
        self.log("info", "token acquired from the identity provider");
        Ok(result(&token, TokenSource::IdentityProvider, corr))
    }

    /// Calls the `clientAssertion` callback, once per token request (assertions are never reused).
    async fn assertion_for_request(&self) -> Result<Option<ClientSecret>, Error> {
        let Some(callback) = &self.assertion else {
            return Ok(None);
        };
        let core = self.core.borrow();
        if !matches!(core.config().credential, Credential::AssertionCallback) {
            return Ok(None);
        }
        let ctx = Object::new();
        set(&ctx, "clientId", core.config().client_id.as_str());
        set(
            &ctx,
            "tokenEndpoint",
            core.config().authority.token_endpoint.as_str(),
        );
        drop(core);
        let bad = || {
            Error::config(
                "invalid_credential",
                "auth.clientAssertion callback must return a non-empty string (a signed JWT)",
            )
        };
        let value = match callback.call1(&JsValue::UNDEFINED, &ctx) {
            Ok(v) => resolve(v).await.map_err(|_| {
                Error::config(
                    "invalid_credential",
                    "auth.clientAssertion callback threw or rejected",
                )
            })?,
            Err(_) => {
                return Err(Error::config(
                    "invalid_credential",
                    "auth.clientAssertion callback threw or rejected",
                ))
            }
        };
        match value.as_string() {
            Some(s) if !s.is_empty() => Ok(Some(ClientSecret::new(s))),
            _ => Err(bad()),
        }
    }

    fn log(&self, level: &str, message: &str) {
        if let Some(logger) = &self.logger {
            // A throwing logger must not fail an acquisition.
            let _ = logger.call3(
                &JsValue::UNDEFINED,
                &level.into(),
                &message.into(),
                &JsValue::FALSE,
            );
        }
    }
}

/// The `AuthenticationResult` object (times as epoch ms; the JS layer makes them Dates).
fn result(token: &CachedToken, source: TokenSource, correlation_id: &str) -> JsValue {
    let o = Object::new();
    let ms = |v: Option<u64>| v.map(|v| JsValue::from(v as f64)).unwrap_or(JsValue::NULL);
    set(&o, "accessToken", token.access_token.secret());
    set(&o, "tokenType", token.token_type.as_str());
    set(&o, "expiresOn", token.expires_on_ms as f64);
    set(&o, "extExpiresOn", ms(token.ext_expires_on_ms));
    set(&o, "refreshOn", ms(token.refresh_on_ms));
    let scopes: js_sys::Array = token.scopes.iter().map(|s| JsValue::from_str(s)).collect();
    set(&o, "scopes", scopes);
    set(
        &o,
        "tenantId",
        token
            .tenant_id
            .as_deref()
            .map(JsValue::from)
            .unwrap_or(JsValue::NULL),
    );
    set(&o, "fromCache", source != TokenSource::IdentityProvider);
    set(&o, "tokenSource", source.as_str());
    set(&o, "correlationId", correlation_id);
    o.into()
}
