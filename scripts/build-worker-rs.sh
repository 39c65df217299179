#!/usr/bin/env bash
# Builds a Worker written in Rust (feature `worker`) into <crate>/dist: worker.mjs + worker.wasm,
# ready for workerd / wrangler. <crate> is examples/worker-rs (the default) or
# www/bench/worker-rs (the benchmark's).
#   scripts/build-worker-rs.sh [crate folder]
# worker-build is not used: it downloads wasm-bindgen and wasm-opt from GitHub releases unless
# WASM_BINDGEN_BIN / WASM_OPT_BIN / ESBUILD_BIN point at local ones; these are the same three
# steps with the tools scripts/build.sh installs (run it first).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT/${1:-examples/worker-rs}"
NAME=$(sed -n 's/^name = "\(.*\)"/\1/p' Cargo.toml | head -1 | tr - _)

# Its own target folder: the npm build (the same crate without `worker`) shares no artifact with it.
cargo build --release --target wasm32-unknown-unknown --target-dir "$ROOT/target/worker-rs"
rm -rf build dist && mkdir -p dist
wasm-bindgen --target web --no-typescript --out-dir build --out-name worker \
  "$ROOT/target/worker-rs/wasm32-unknown-unknown/release/$NAME.wasm"
"$ROOT/www/node_modules/.bin/wasm-opt" -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  build/worker_bg.wasm -o dist/worker.wasm
cp "$ROOT/examples/worker-rs/shim.mjs" build/
"$ROOT/www/node_modules/.bin/esbuild" build/shim.mjs --bundle --format=esm --platform=neutral \
  --target=es2022 --external:*.wasm --log-level=warning --outfile=dist/worker.mjs
# The bundle imports the wasm by its build name; the optimized one sits beside it as worker.wasm.
sed -i 's#"\./worker_bg\.wasm"#"./worker.wasm"#' dist/worker.mjs
raw=$(stat -c %s dist/worker.wasm)
gz=$(gzip -9 -c dist/worker.wasm | wc -c)
echo "built ${1:-examples/worker-rs}/dist: wasm ${raw} bytes (${gz} gzipped)"
