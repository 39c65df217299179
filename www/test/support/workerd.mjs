// Runs a Worker in the real workerd runtime (Miniflare), bundled the way wrangler resolves a
// package: esbuild with the conditions workerd/worker/browser, the .wasm kept as a module.
import { build } from "esbuild";
import { copyFile, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";

const WWW = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** Bundles `entry` into a fresh folder with the package's wasm beside it. */
export async function bundleWorker(entry) {
  const outdir = await mkdtemp(join(tmpdir(), "entra-edge-worker-"));
  await build({
    entryPoints: [entry],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["*.wasm"],
    outfile: join(outdir, "worker.js"),
    logLevel: "warning",
  });
  await copyFile(join(WWW, "dist", "entra_edge_bg.wasm"), join(outdir, "entra_edge_bg.wasm"));
  return outdir;
}

/** A Miniflare instance serving the bundle in `outdir`, with a TOKEN_CACHE KV namespace. */
export function startWorker(outdir, { bindings = {}, kvPersist } = {}) {
  return new Miniflare({
    modulesRoot: outdir,
    modules: [
      { type: "ESModule", path: join(outdir, "worker.js") },
      { type: "CompiledWasm", path: join(outdir, "entra_edge_bg.wasm") },
    ],
    compatibilityDate: "2026-04-01",
    bindings,
    kvNamespaces: ["TOKEN_CACHE"],
    ...(kvPersist ? { kvPersist } : {}),
  });
}
