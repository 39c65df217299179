#!/usr/bin/env bash
# Builds the npm package in www/dist from a fresh machine: installs the wasm target, the
# wasm-bindgen CLI matching Cargo.toml's pin, and the npm dependencies, only when missing.
set -euo pipefail
cd "$(dirname "$0")/.."

WB_VERSION=$(sed -n 's/^wasm-bindgen = "=\([0-9.]*\)"/\1/p' Cargo.toml)

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown
fi
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WB_VERSION" ]; then
  # No --locked: the registry mirror lacks one pinned transitive version (see PLATFORM.md).
  cargo install wasm-bindgen-cli --version "$WB_VERSION"
fi
if [ ! -d www/node_modules ] || [ www/package-lock.json -nt www/node_modules/.package-lock.json ]; then
  (cd www && npm ci --no-audit --no-fund)
fi

cargo build --release --target wasm32-unknown-unknown
rm -rf www/pkg && wasm-bindgen --target web --out-dir www/pkg --no-typescript \
  target/wasm32-unknown-unknown/release/entra_edge.wasm
node scripts/short-imports.mjs www/pkg/entra_edge_bg.wasm www/pkg/entra_edge.js

mkdir -p www/dist
# -ocimfs 20: by default wasm-opt inlines every single-caller function, which fuses the cold
# configuration paths into one 49 KB function V8 must compile on the first `new` (4.7 ms);
# capped, the first client costs 2.5 ms and the module is 9 KB smaller gzipped (BENCHMARKS.md).
# --converge repeats the passes while they still shrink the module (0.5 KB gzipped, issue 24).
# --reorder-functions-by-name (while wasm-bindgen's names are still there) puts a generic's copies
# side by side, where gzip finds their likeness: 3.0 KB gzipped less for the same code.
# The producers and target_features sections are for tools, not runtimes (0.2 KB gzipped).
www/node_modules/.bin/wasm-opt --reorder-functions-by-name -Oz -ocimfs 20 --converge \
  --strip-producers --strip-target-features --enable-bulk-memory --enable-nontrapping-float-to-int \
  --enable-sign-ext --enable-mutable-globals --enable-reference-types --enable-multivalue \
  www/pkg/entra_edge_bg.wasm -o www/dist/entra_edge_bg.wasm

cd www
ESBUILD=node_modules/.bin/esbuild
COMMON=(--bundle --platform=neutral --target=es2022 --external:./entra_edge_bg.wasm --external:node:* --log-level=warning)
# What a Worker ships is minified (issue 24: 18.0 -> 13.7 KB gzipped), without --keep-names:
# entry-workerd.js names its exported classes itself (see there).
$ESBUILD src/entry-workerd.js "${COMMON[@]}" --format=esm --minify --outfile=dist/workerd.js
$ESBUILD src/entry-node.js "${COMMON[@]}" --format=esm --outfile=dist/node.mjs
# CommonJS has no import.meta; point it at this file's own URL instead.
$ESBUILD src/entry-node.js "${COMMON[@]}" --format=cjs --outfile=dist/node.cjs \
  --define:import.meta.url=__entraEdgeUrl \
  --banner:js='const __entraEdgeUrl = require("node:url").pathToFileURL(__filename).href;'
# Deno: the wasm through a source-phase import (`import source`), kept as written.
$ESBUILD src/entry-deno.js "${COMMON[@]}" --target=esnext --format=esm --outfile=dist/deno.mjs
# Vercel's Edge runtime / Next.js: the wasm as `./entra_edge_bg.wasm?module`, which their bundlers
# turn into a compiled module.
$ESBUILD src/entry-edge.js "${COMMON[@]}" '--external:./entra_edge_bg.wasm?module' --format=esm --outfile=dist/edge.js
$ESBUILD src/entry-stores-edge.js "${COMMON[@]}" --format=esm --outfile=dist/stores-edge.js
$ESBUILD src/entry-stores.js "${COMMON[@]}" --platform=node --format=esm --outfile=dist/stores.mjs
$ESBUILD src/entry-stores.js "${COMMON[@]}" --platform=node --format=cjs --outfile=dist/stores.cjs
cp index.d.ts stores.d.ts dist/
cp ../README.md ../LICENSE .

raw=$(stat -c %s dist/entra_edge_bg.wasm)
gz=$(gzip -9 -c dist/entra_edge_bg.wasm | wc -c)
echo "built www/dist: wasm ${raw} bytes (${gz} gzipped)"
