// Runs a Worker in the real workerd runtime (Miniflare), bundled the way wrangler resolves a
// package: esbuild with the conditions workerd/worker/browser, the .wasm kept as a module.
import { build } from "esbuild";
import { copyFile, mkdtemp } from "node:fs/promises";
import { builtinModules } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const WWW = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

// What a Worker built for nodejs_compat imports from workerd's Node APIs.
const NODE_BUILTINS = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/**
 * Bundles `entry` into a fresh folder with the package's wasm beside it. `platform: "browser"`
 * is wrangler's default (packages without `exports` resolve through `browser` / `module`);
 * `"node"` builds Node code for `nodejs_compat`, as WRANGLER_BUILD_PLATFORM=node does. `dist`:
 * another build of the package to bundle (a benchmark's "before"), in place of www/dist.
 */
export async function bundleWorker(entry, { platform = "neutral", dist } = {}) {
  const outdir = await mkdtemp(join(tmpdir(), "entra-edge-worker-"));
  const node = platform === "node";
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform,
    conditions: node ? ["workerd", "worker"] : ["workerd", "worker", "browser"],
    external: ["*.wasm", ...(node ? NODE_BUILTINS : [])],
    // CommonJS dependencies call require() for Node modules; workerd has no import.meta.url.
    ...(node ? { banner: { js: 'import { createRequire as __entraEdgeRequire } from "node:module"; const require = __entraEdgeRequire("/");' } } : {}),
    ...(dist ? { alias: { "entra-edge": join(dist, "workerd.js") } } : {}),
    outfile: join(outdir, "worker.js"),
    logLevel: "warning",
  });
  await copyFile(join(dist ?? join(WWW, "dist"), "entra_edge_bg.wasm"), join(outdir, "entra_edge_bg.wasm"));
  return outdir;
}

/** Miniflare's options for a Worker serving the bundle in `outdir` (bundleWorker's), plus `extra`. */
export function workerOptions(outdir, extra = {}) {
  return {
    modulesRoot: outdir,
    modules: [
      { type: "ESModule", path: join(outdir, "worker.js") },
      { type: "CompiledWasm", path: join(outdir, "entra_edge_bg.wasm") },
    ],
    compatibilityDate: "2026-04-01",
    ...extra,
  };
}

/**
 * A Miniflare instance serving the bundle in `outdir`, with a TOKEN_CACHE KV namespace.
 * `outboundService` sees every fetch the Worker makes; `compatibilityFlags` such as nodejs_compat.
 */
export function startWorker(outdir, { bindings = {}, kvPersist, outboundService, compatibilityFlags } = {}) {
  return new Miniflare(
    workerOptions(outdir, {
      bindings,
      kvNamespaces: ["TOKEN_CACHE"],
      ...(kvPersist ? { kvPersist } : {}),
      ...(outboundService ? { outboundService } : {}),
      ...(compatibilityFlags ? { compatibilityFlags } : {}),
    }),
  );
}
