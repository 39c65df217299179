//! One Rust daemon of a fleet, speaking the protocol of `www/test/support/fleet-daemon.mjs` so
//! the fleet tests mix Node and Rust daemons over one Redis: a client over a `RedisStore` on the
//! socket in argv[1], acquiring once when the parent writes a line on stdin. Reports on stdout,
//! one JSON object a line: every log line (`{"log": [level, message]}`) as it happens, then the
//! outcome (`{"result": {...}}` or `{"error": {...}}`).
//!
//! ```text
//! fleet_daemon <redis socket> <authority> <client id> <secret> <correlation id> [timeoutMs]
//! ```

use std::io::{BufRead, Write};

use entra_edge::native::{Client, RedisStore, Request};
use serde_json::json;

fn say(value: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{value}");
    let _ = out.flush();
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [socket, authority, client_id, secret, correlation_id, rest @ ..] = args.as_slice() else {
        return Err("usage: fleet_daemon <socket> <authority> <client id> <secret> <correlation id> [timeoutMs]".into());
    };
    let timeout_ms: u64 = rest.first().map_or(Ok(2000), |t| t.parse())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let client = runtime.block_on(async {
        let config = json!({
            "auth": { "clientId": client_id, "authority": authority, "clientSecret": secret },
            "system": { "timeoutMs": timeout_ms, "deadlineMs": timeout_ms.max(20_000) },
        });
        Client::builder(config)
            .store(RedisStore::open(&format!("unix://{socket}"))?)
            .logger(|level, message| say(&json!({ "log": [level.as_str(), message] })))
            .build()
    })?;
    // stdin is read on its own thread so the runtime keeps running background store writes.
    let (lines, mut from_stdin) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            if line.is_err() || lines.send(()).is_err() {
                break;
            }
        }
    });
    say(&json!({ "ready": true }));
    runtime.block_on(async {
        from_stdin.recv().await;
        let request =
            Request::new(["https://graph.microsoft.com/.default"]).correlation_id(correlation_id);
        match client.acquire(&request).await {
            Ok(token) => say(&json!({ "result": {
                "accessToken": token.access_token(),
                "tokenSource": token.source().as_str(),
            } })),
            Err(e) => say(&json!({ "error": { "errorCode": e.code(), "message": e.message() } })),
        }
        // The parent closes stdin when it is done with this daemon.
        while from_stdin.recv().await.is_some() {}
    });
    Ok(())
}
