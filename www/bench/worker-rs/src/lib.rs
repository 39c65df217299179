//! The routes of `www/bench/side-by-side-worker.js`, for entra-edge's workers-rs client: each
//! request runs N operations so per-call costs can be measured from outside.
//!   /noop  /hit?n=N  /kv?n=N  /cold?n=N  /concurrent?n=N  /construct

use std::cell::RefCell;

use entra_edge::worker::{Client, Request as TokenRequest};
use serde_json::json;
use worker::{event, Context, Env, Request, Response, Result};

thread_local! {
    /// Clients by memory level on/off, built on first use (construct measures that).
    static APPS: RefCell<[Option<Client>; 2]> = const { RefCell::new([None, None]) };
}

fn build(env: &Env, memory: bool, kv: bool) -> Result<Client> {
    let config = json!({
        "auth": {
            "clientId": env.var("CLIENT_ID")?.to_string(),
            "tokenEndpoint": env.var("TOKEN_ENDPOINT")?.to_string(),
            "clientSecret": env.var("CLIENT_SECRET")?.to_string(),
        },
        "cache": { "memory": memory },
    });
    let builder = Client::builder(config);
    let builder = if kv {
        builder.kv(env.kv("TOKEN_CACHE")?)
    } else {
        builder
    };
    builder
        .build()
        .map_err(|e| worker::Error::RustError(e.to_string()))
}

fn app(env: &Env, memory: bool) -> Result<Client> {
    let slot = usize::from(memory);
    if let Some(app) = APPS.with(|apps| apps.borrow()[slot].clone()) {
        return Ok(app);
    }
    let app = build(env, memory, true)?;
    APPS.with(|apps| apps.borrow_mut()[slot] = Some(app.clone()));
    Ok(app)
}

fn failed(e: entra_edge::Error) -> worker::Error {
    worker::Error::RustError(e.to_string())
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, ctx: Context) -> Result<Response> {
    let url = req.url()?;
    let n: usize = url
        .query_pairs()
        .find(|(k, _)| k == "n")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(1);
    let scope = env.var("SCOPE")?.to_string();
    let op = url.path().trim_start_matches('/').to_owned();
    match op.as_str() {
        "noop" => {}
        "construct" => {
            app(&env, true)?;
        }
        "concurrent" => {
            // A fresh cache, as side-by-side-worker.js's: a new client without the store.
            let fresh = build(&env, true, false)?;
            let request = TokenRequest::new([scope]);
            let calls = (0..n).map(|_| fresh.acquire(&request, Some(&ctx)));
            for out in futures_util::future::join_all(calls).await {
                out.map_err(failed)?;
            }
        }
        "hit" | "kv" | "cold" => {
            let app = app(&env, op != "kv")?;
            let mut request = TokenRequest::new([scope]);
            if op == "cold" {
                request = request.skip_cache();
            }
            for _ in 0..n {
                app.acquire(&request, Some(&ctx)).await.map_err(failed)?;
            }
        }
        _ => return Response::error("not found", 404),
    }
    Response::ok("ok")
}
