//! A Worker written in Rust with workers-rs that gets an app-only token from entra-edge and
//! calls a Graph-like API with it. Its KV entries are the JS package's: a JavaScript Worker
//! bound to the same namespace opens them, and this one opens theirs.
//!
//! Bindings: `CLIENT_ID`, `AUTHORITY` (`https://login.microsoftonline.com/<tenant>`) or
//! `TOKEN_ENDPOINT` (any OAuth 2.0 server), optionally `TIMEOUT_MS`,
//! `CLIENT_SECRET`, `SCOPE`, `GRAPH_URL`, and the KV namespace `TOKEN_CACHE`.
//!   GET /token   the token's source and value (for the tests)
//!   GET /users   `GRAPH_URL/v1.0/users?$top=5` with the token
//!   GET /clear   empties the memory level and the KV entries this isolate used

use std::cell::OnceCell;

use entra_edge::worker::{Client, Request as TokenRequest};
use serde_json::json;
use worker::{event, Context, Env, Fetch, Headers, Method, Request, RequestInit, Response, Result};

thread_local! {
    /// One client per isolate: its memory level and single-flight serve every request.
    static APP: OnceCell<Client> = const { OnceCell::new() };
}

fn app(env: &Env) -> Result<Client> {
    if let Some(app) = APP.with(|cell| cell.get().cloned()) {
        return Ok(app);
    }
    // Entra (AUTHORITY) or any OAuth 2.0 server (TOKEN_ENDPOINT).
    let source = match env.var("AUTHORITY") {
        Ok(authority) => ("authority", authority.to_string()),
        Err(_) => ("tokenEndpoint", env.var("TOKEN_ENDPOINT")?.to_string()),
    };
    let mut auth = json!({
        "clientId": env.var("CLIENT_ID")?.to_string(),
        "clientSecret": env.secret("CLIENT_SECRET")?.to_string(),
    });
    auth[source.0] = source.1.into();
    let mut config = json!({ "auth": auth });
    // TIMEOUT_MS (tests): one attempt, given up after that long.
    if let Ok(ms) = env.var("TIMEOUT_MS") {
        let ms: u64 = ms
            .to_string()
            .parse()
            .map_err(|_| "TIMEOUT_MS must be a number")?;
        config["system"] = json!({ "timeoutMs": ms, "maxRetries": 0 });
    }
    let app = Client::builder(config)
        .kv(env.kv("TOKEN_CACHE")?)
        .logger(|level, line| worker::console_log!("entra-edge {}: {line}", level.as_str()))
        .build()
        .map_err(|e| worker::Error::RustError(e.to_string()))?;
    APP.with(|cell| {
        let _ = cell.set(app.clone());
    });
    Ok(app)
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let app = app(&env)?;
    if req.path() == "/clear" {
        app.clear_cache().await;
        return Response::ok("cleared");
    }
    let scope = env.var("SCOPE")?.to_string();
    let token = match app.acquire(&TokenRequest::new([scope]), Some(&ctx)).await {
        Ok(token) => token,
        Err(e) => {
            let body = json!({ "errorCode": e.code(), "errorClass": e.class().name(), "message": e.message() });
            return Ok(Response::from_json(&body)?.with_status(500));
        }
    };
    let source = token.source().as_str();
    match req.path().as_str() {
        "/token" => Response::from_json(
            &json!({ "tokenSource": source, "accessToken": token.access_token() }),
        ),
        "/users" => {
            let headers = Headers::new();
            headers.set("authorization", &format!("Bearer {}", token.access_token()))?;
            let mut init = RequestInit::new();
            init.with_method(Method::Get).with_headers(headers);
            let url = format!("{}/v1.0/users?$top=5", env.var("GRAPH_URL")?);
            let mut graph = Fetch::Request(Request::new_with_init(&url, &init)?)
                .send()
                .await?;
            let status = graph.status_code();
            let body: serde_json::Value = graph.json().await.unwrap_or(serde_json::Value::Null);
            Response::from_json(&json!({ "tokenSource": source, "status": status, "body": body }))
        }
        _ => Response::error("not found", 404),
    }
}
