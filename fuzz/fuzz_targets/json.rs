//! Any bytes through the hand-written JSON reader, checked against serde_json: both accept the
//! same texts and read the same values, and what the reader accepts writes back to itself.
#![no_main]
use entra_edge::json::{self, Value, MAX_DEPTH};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| {
    let ours = json::parse(bytes);
    let reference = serde_json::from_slice::<serde_json::Value>(bytes);
    match (&ours, &reference) {
        (Ok(a), Ok(b)) => assert!(same(a, b), "different values"),
        // serde_json refuses numbers beyond f64 and nesting beyond 128; the reader keeps number
        // text and refuses nesting beyond MAX_DEPTH.
        (Ok(_), Err(e)) => assert!(e.to_string().contains("number out of range"), "{e}"),
        (Err(_), Ok(b)) => assert!(depth(b) > MAX_DEPTH, "refused valid JSON"),
        (Err(_), Err(_)) => {}
    }
    if let Ok(v) = ours {
        assert_eq!(json::parse(v.to_json().as_bytes()), Ok(v), "does not round-trip");
    }
});

fn same(a: &Value, b: &serde_json::Value) -> bool {
    match (a, b) {
        (Value::Null, serde_json::Value::Null) => true,
        (Value::Bool(x), serde_json::Value::Bool(y)) => x == y,
        (Value::Number(n), serde_json::Value::Number(m)) => match (n.as_u64(), m.as_u64()) {
            (Some(x), Some(y)) => x == y,
            _ => n.as_str().parse::<f64>().ok() == m.as_f64(),
        },
        (Value::String(x), serde_json::Value::String(y)) => x == y,
        (Value::Array(x), serde_json::Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        // serde_json keeps the last of repeated names, as the reader's get does.
        (Value::Object(x), serde_json::Value::Object(y)) => {
            x.names().all(|k| y.contains_key(k))
                && y.iter().all(|(k, v)| x.get(k).is_some_and(|a| same(a, v)))
        }
        _ => false,
    }
}

fn depth(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Array(items) => 1 + items.iter().map(depth).max().unwrap_or(0),
        serde_json::Value::Object(m) => 1 + m.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}
