#!/usr/bin/env bash
# Runs every test from a fresh machine: builds the package (installing what is missing), then
# the Rust core tests, lints, and the JavaScript tests in Node and in workerd (Miniflare).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/build.sh

# The Redis store is tested against a real server (Debian's package); openssl makes test certificates.
for tool in redis-server openssl; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    apt-get update -qq && apt-get install -y -qq redis-server openssl >/dev/null
    break
  fi
done

cargo fmt --all -- --check
cargo fmt --manifest-path examples/worker-rs/Cargo.toml -- --check
# --features redis: the core and the native driver (tokio, reqwest, Redis) in one pass; the wasm
# lint is the npm package's build, which has none of them.
cargo clippy --all-targets --features redis -- -D warnings
cargo clippy --target wasm32-unknown-unknown -- -D warnings
cargo clippy --target wasm32-unknown-unknown --features worker -- -D warnings
(cd examples/worker-rs && cargo clippy --target wasm32-unknown-unknown --target-dir ../../target/worker-rs -- -D warnings)
# Also builds examples/fleet_daemon, the Rust daemon of www/test/rust-fleet.test.mjs.
cargo test --features redis

# Each fuzz target briefly (scripts/fuzz.sh SECONDS for longer runs).
scripts/fuzz.sh 10

# The example Worker written in Rust, for www/test/worker-rs.test.mjs.
scripts/build-worker-rs.sh

cd www
# Every test has a time limit: a regression that hangs fails instead of stalling CI.
node --test --test-concurrency=1 --test-timeout=60000 test/*.test.mjs

# The conformance suite again, unchanged, in Deno and Bun (the npm packages `deno` and `bun`,
# installed by npm ci above): acquisition, cache, single-flight, errors, secrets, certificates,
# tenants, stores. The other files need Node-only parts (child processes, Azurite, workerd
# hosting, npm pack) and say so in their header. deno-kv-store runs in Deno only.
SUITE=()
for name in secret cache certificate tenants authorized-fetch canary resilience credentials; do
  SUITE+=("./test/$name.test.mjs")
done
timeout 900 node_modules/.bin/deno test -A --no-check --unstable-kv "${SUITE[@]}" ./test/deno-kv-store.test.mjs
timeout 900 node_modules/.bin/bun test --timeout 60000 "${SUITE[@]}"
