// Runs code in Vercel's Edge runtime (the `edge-runtime` package, which Next.js and Vercel's
// tooling use), bundled and hosted the way Next.js does it, from its sources:
// - bundled with the `edge-light`, `worker` and `browser` conditions;
// - `import wasm from "./x.wasm?module"` becomes a reference to a global `wasm_<sha1 of the
//   file>` (next-middleware-wasm-loader), and the sandbox defines that global as a module it
//   compiled in the host realm (server/web/sandbox/context.ts, loadWasm);
// - the sandbox's `fetch` is an async function of the host realm wrapping the runtime's fetch,
//   so it returns host-realm promises (context.ts again).
// These three are what broke the package before (issue 22), so they are kept, not simplified.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { EdgeRuntime } from "edge-runtime";

/** esbuild plugin doing what Next's wasm loader does with `?module` imports. */
function nextWasmModules(bindings) {
  return {
    name: "next-wasm-modules",
    setup(b) {
      b.onResolve({ filter: /\.wasm\?module$/ }, async (args) => {
        const resolved = await b.resolve(args.path.replace(/\?module$/, ""), { kind: args.kind, resolveDir: args.resolveDir });
        return { path: resolved.path, namespace: "next-wasm" };
      });
      b.onLoad({ filter: /.*/, namespace: "next-wasm" }, async (args) => {
        const bytes = await readFile(args.path);
        const name = `wasm_${createHash("sha1").update(bytes).digest("hex")}`;
        bindings.set(name, bytes);
        return { contents: `export default ${name};`, loader: "js" };
      });
    },
  };
}

/** Bundles `entry` for the Edge runtime: the script and the wasm bindings it needs. */
export async function bundleForEdge(entry) {
  const bindings = new Map();
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    conditions: ["edge-light", "worker", "browser"],
    plugins: [nextWasmModules(bindings)],
    write: false,
    logLevel: "warning",
  });
  return { code: result.outputFiles[0].text, bindings };
}

/**
 * An Edge runtime running `bundle` (bundleForEdge's), with `env` as process.env and `globals`
 * (host objects, such as a store) defined in its global scope.
 */
export async function startEdge({ code, bindings }, { env = {}, globals = {} } = {}) {
  const modules = {};
  for (const [name, bytes] of bindings) modules[name] = await WebAssembly.compile(bytes);
  return new EdgeRuntime({
    extend(context) {
      context.process = { env };
      const runtimeFetch = context.fetch;
      context.fetch = async (input, init) => runtimeFetch(input, init);
      Object.assign(context, modules, globals);
      return context;
    },
    initialCode: code,
  });
}
