// Startup and loading in workerd (Miniflare), side by side in one run: the package as it was
// (a `dist/` given as BASELINE_DIST, e.g. /work/baseline/dist), this build (www/dist), and the
// hand-written helper (handrolled.js) in a Worker of its own. Each round starts a fresh instance
// of each, in turn, and times from outside (Date.now() only advances across I/O in workerd):
//   load      new Miniflare(...) until `ready`: workerd parses the Worker, evaluates its modules
//             and compiles the wasm;
//   startup   the first request that constructs a client, minus a warm request (as run.mjs);
//   first     the first request of a no-op route minus the second (what is left lazy after ready).
// Then the startup's parts for this build, on a Worker of www/src + www/pkg: wasm instantiation,
// the first client, a second client; the first client minus the second is lazy compilation and
// first-use work. Run with `node www/bench/startup.mjs [rounds]` after scripts/build.sh.
import { build } from "esbuild";
import { copyFile, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { readFileSync } from "node:fs";
import { measureFresh } from "./workerd-cpu.mjs";

const WWW = fileURLToPath(new URL("..", import.meta.url));
const ROUNDS = Number(process.argv[2] ?? 11);
const BASELINE = process.env.BASELINE_DIST;

const CONFIG = `{ auth: { clientId: "11111111-2222-3333-4444-555555555555", tokenEndpoint: "http://127.0.0.1:9/token", clientSecret: "s3cret-value" }, cache: { store: env.TOKEN_CACHE } }`;

const packageWorker = `
import { ConfidentialClientApplication } from "entra-edge";
let app;
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/construct") app ??= new ConfidentialClientApplication(${CONFIG});
    return new Response("ok");
  },
};`;

const helperWorker = `
import { handRolledToken } from ${JSON.stringify(join(WWW, "bench", "handrolled.js"))};
let helper;
export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname === "/construct") helper ??= handRolledToken;
    return new Response("ok");
  },
};`;

// The parts: www/src's own modules, so the instantiation can be asked for on its own.
const partsWorker = `
import wasmModule from "./entra_edge_bg.wasm";
import { ConfidentialClientApplication } from ${JSON.stringify(join(WWW, "src", "client.js"))};
import { ensureWasm, setModuleLoader } from ${JSON.stringify(join(WWW, "src", "loader.js"))};
setModuleLoader(() => wasmModule);
const apps = [];
export default {
  async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === "/instantiate") ensureWasm();
    if (path === "/construct") apps.push(new ConfidentialClientApplication(${CONFIG}));
    return new Response("ok");
  },
};`;

/** Bundles `source` as wrangler would, with `entra-edge` resolved to `dist` and its wasm beside. */
async function bundle(source, dist) {
  const outdir = await mkdtemp(join(tmpdir(), "entra-edge-startup-"));
  await writeFile(join(outdir, "entry.js"), source);
  await build({
    entryPoints: [join(outdir, "entry.js")],
    bundle: true,
    format: "esm",
    platform: "neutral",
    conditions: ["workerd", "worker", "browser"],
    external: ["*.wasm"],
    alias: dist ? { "entra-edge": join(dist, "workerd.js") } : {},
    outfile: join(outdir, "worker.js"),
    logLevel: "warning",
  });
  const modules = [{ type: "ESModule", path: join(outdir, "worker.js") }];
  if (dist) {
    await copyFile(join(dist, "entra_edge_bg.wasm"), join(outdir, "entra_edge_bg.wasm"));
    modules.push({ type: "CompiledWasm", path: join(outdir, "entra_edge_bg.wasm") });
  }
  return { modulesRoot: outdir, modules, compatibilityDate: "2026-04-01", kvNamespaces: ["TOKEN_CACHE"] };
}

// The machine is shared: wall time mostly measures the neighbours. What is compared is the CPU
// time of the workerd process (all its threads, /proc/<pid>/task/*/schedstat), which waiting
// for a core does not add to (measureFresh).
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const impls = [
  ...(BASELINE ? [["before", await bundle(packageWorker, BASELINE)]] : []),
  ["after", await bundle(packageWorker, join(WWW, "dist"))],
  ["helper", await bundle(helperWorker, null)],
];
const parts = await bundle(partsWorker, null);
parts.modules.push({ type: "CompiledWasm", path: join(parts.modulesRoot, "entra_edge_bg.wasm") });
await copyFile(join(WWW, "dist", "entra_edge_bg.wasm"), join(parts.modulesRoot, "entra_edge_bg.wasm"));

const samples = Object.fromEntries(impls.map(([name]) => [name, { load: [], startup: [], first: [] }]));
const partSamples = { instantiate: [], firstClient: [], secondClient: [] };
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, options] of impls) {
    const s = samples[name];
    const a = await measureFresh(options, ["/construct", "/construct"]);
    s.load.push(a.load);
    s.startup.push(a.times[0] - a.times[1]);
    const b = await measureFresh(options, ["/noop", "/noop"]);
    s.load.push(b.load);
    s.first.push(b.times[0] - b.times[1]);
  }
  // noop, noop (dispatch baseline), instantiate, construct (first client), construct (second).
  const p = await measureFresh(parts, ["/noop", "/noop", "/instantiate", "/construct", "/construct"]);
  const base = p.times[1];
  partSamples.instantiate.push(p.times[2] - base);
  partSamples.firstClient.push(p.times[3] - base);
  partSamples.secondClient.push(p.times[4] - base);
}

const gz = (path) => gzipSync(readFileSync(path), { level: 9 }).length;
const ships = (dist) => `${((gz(join(dist, "entra_edge_bg.wasm")) + gz(join(dist, "workerd.js"))) / 1024).toFixed(1)} KiB`;
console.log(`workerd (Miniflare), ${ROUNDS} rounds, fresh instances, medians of the workerd process's CPU time in ms\n`);
console.log("| | load (workerd start until ready) | first request constructing, minus a warm one | first no-op request, minus a warm one | Worker ships, gzipped |");
console.log("|---|---|---|---|---|");
const helper = samples.helper;
for (const [name] of impls) {
  const s = samples[name];
  const over = (k) => (name === "helper" ? "" : ` (helper +${(median(s[k]) - median(helper[k])).toFixed(2)})`);
  const size = name === "before" ? ships(BASELINE) : name === "after" ? ships(join(WWW, "dist")) : "";
  console.log(`| ${name} | ${median(s.load).toFixed(2)}${over("load")} | ${median(s.startup).toFixed(2)}${over("startup")} | ${median(s.first).toFixed(2)}${over("first")} | ${size} |`);
}
console.log(`\nParts of the first client (this build), over a warm no-op request: instantiate the wasm ${median(partSamples.instantiate).toFixed(2)}, first new ${median(partSamples.firstClient).toFixed(2)}, second new ${median(partSamples.secondClient).toFixed(2)}`);
