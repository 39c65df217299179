// entra-edge's workers-rs client (www/bench/worker-rs, a Rust Worker) next to the JS package's
// Worker and the hand-written helper (side-by-side-worker.js), in workerd, with run.mjs's method:
// each request runs N operations, timed from outside, the dispatch baseline (/noop) subtracted;
// the token endpoint is the out-of-process token server.
//   scripts/build.sh && scripts/build-worker-rs.sh www/bench/worker-rs && node www/bench/worker-rs.mjs
import { fork } from "node:child_process";
import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { bundleWorker, startWorker } from "../test/support/workerd.mjs";

const RUST = fileURLToPath(new URL("./worker-rs/dist/", import.meta.url));
const tokenServer = fork(fileURLToPath(new URL("./token-server.mjs", import.meta.url)));
const tokenServerUrl = await new Promise((resolve) => tokenServer.once("message", resolve));
const tokenRequests = async () => Number(await (await fetch(tokenServerUrl)).text());
const bindings = { CLIENT_ID: "bench-client", CLIENT_SECRET: "bench-secret", SCOPE: "https://graph.microsoft.com/.default", TOKEN_ENDPOINT: `${tokenServerUrl}/token` };

const startRust = () =>
  new Miniflare({
    modulesRoot: RUST,
    modules: [
      { type: "ESModule", path: join(RUST, "worker.mjs") },
      { type: "CompiledWasm", path: join(RUST, "worker.wasm") },
    ],
    compatibilityDate: "2026-04-01",
    bindings,
    kvNamespaces: ["TOKEN_CACHE"],
  });
const js = await bundleWorker(fileURLToPath(new URL("./side-by-side-worker.js", import.meta.url)));
const startJs = () => startWorker(js, { bindings });

const call = async (mf, path) => {
  const t = process.hrtime.bigint();
  const res = await mf.dispatchFetch(`http://bench${path}`);
  if (!res.ok) throw new Error(`${path}: ${await res.text()}`);
  await res.text();
  return process.hrtime.bigint() - t;
};
const median = (xs) => [...xs].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))[xs.length >> 1];
const us = (ns) => `${(Number(ns) / 1000).toFixed(1)} µs`;
// `path` with n=N, 7 runs after a warm-up, per operation, less the dispatch baseline.
async function perOp(mf, path, n) {
  const runOf = async (p) => {
    await call(mf, `${p}${p.includes("?") ? "&" : "?"}n=${n}`);
    const runs = [];
    for (let i = 0; i < 7; i++) runs.push(await call(mf, `${p}${p.includes("?") ? "&" : "?"}n=${n}`));
    return median(runs);
  };
  return ((await runOf(path)) - (await runOf(path.startsWith("/noop") ? path : `/noop${path.includes("?") ? path.slice(path.indexOf("?")) : ""}`))) / BigInt(n);
}

const rows = [];
const rust = startRust();
const edge = startJs();
try {
  const hit = [await perOp(rust, "/hit", 5000), await perOp(edge, "/hit?impl=edge", 5000), await perOp(edge, "/hit?impl=hand", 5000)];
  rows.push(["cache hit (memory), median per call", ...hit.map(us)]);
  const kv = [await perOp(rust, "/kv", 200), await perOp(edge, "/kv?impl=edge", 200), await perOp(edge, "/kv?impl=hand", 200)];
  rows.push(["cache hit from KV (Miniflare), median per call", ...kv.map(us)]);
  const raw = await perOp(edge, "/cold?impl=raw", 50);
  const cold = [await perOp(rust, "/cold", 50), await perOp(edge, "/cold?impl=edge", 50), await perOp(edge, "/cold?impl=hand", 50)];
  rows.push([`cold acquisition, client secret, per call (raw fetch: ${us(raw)})`, ...cold.map((c) => `${us(c)} (+${us(c - raw)})`)]);
  const concurrent = [];
  for (const [mf, path] of [[rust, "/concurrent?n=1000"], [edge, "/concurrent?impl=edge&n=1000"], [edge, `/concurrent?impl=hand&n=1000&run=${Date.now()}`]]) {
    const before = await tokenRequests();
    await call(mf, path);
    concurrent.push(String((await tokenRequests()) - before));
  }
  rows.push(["token requests for 1000 concurrent cold calls (one Worker request)", ...concurrent]);
} finally {
  await rust.dispose();
  await edge.dispose();
}
// Startup: the first request that constructs a client on a fresh instance, minus a warm one.
const startup = async (start, path) => {
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const fresh = start();
    try {
      await fresh.ready;
      const first = await call(fresh, path);
      runs.push(first - (await call(fresh, path)));
    } finally {
      await fresh.dispose();
    }
  }
  return median(runs);
};
rows.push(["startup: first request constructing a client, minus a warm request", us(await startup(startRust, "/construct")), us(await startup(startJs, "/construct?impl=edge")), us(await startup(startJs, "/construct?impl=hand"))]);
const gz = (b) => (gzipSync(b, { level: 9 }).length / 1024).toFixed(1);
const rustShip = [readFileSync(join(RUST, "worker.wasm")), readFileSync(join(RUST, "worker.mjs"))];
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const jsShip = [readFileSync(`${dist}entra_edge_bg.wasm`), readFileSync(`${dist}workerd.js`)];
rows.push(["Worker ships, gzipped: wasm + glue", `${gz(rustShip[0])} + ${gz(rustShip[1])} KiB`, `${gz(jsShip[0])} + ${gz(jsShip[1])} KiB`, ""]);
tokenServer.disconnect();

console.log("| measure | workers-rs (entra-edge) | JS Worker (entra-edge) | hand-written helper |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.join(" | ")} |`);
