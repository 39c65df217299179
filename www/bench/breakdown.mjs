// Where entra-edge's time goes inside workerd (Miniflare), next to the hand-written helper's
// logic, with the store and the token endpoint inside the isolate (bench/breakdown-worker.js):
// what is left is each implementation's own code. Then the same paths as a Worker runs them
// (bench/side-by-side-worker.js): Miniflare's KV and a token endpoint in its own process
// (token-server.mjs), as run.mjs section 8 measures them. Usage:
//   node bench/breakdown.mjs [dist dir]...
// Several dist folders (e.g. a baseline and this build) are measured side by side in one run,
// alternating. Two figures per path: the median wall time per call seen from outside, and the
// CPU time the workerd process spent per call (its threads' schedstat, summed over all
// rounds), which a busy machine disturbs far less than wall time.
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { fork } from "node:child_process";
import { Miniflare } from "miniflare";
import { bundleWorker, workerOptions } from "../test/support/workerd.mjs";
import { cpuNs, workerdPids } from "./workerd-cpu.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const dists = process.argv.slice(2).length ? process.argv.slice(2) : [fileURLToPath(new URL("../dist", import.meta.url))];

/** Miniflare serving `worker` (a file here) bundled against the package in `dist`. */
async function bundle(dist, worker, extra = {}) {
  return new Miniflare(workerOptions(await bundleWorker(join(here, worker), { dist }), extra));
}

const call = async (mf, path) => {
  const t = process.hrtime.bigint();
  const res = await mf.dispatchFetch(`http://bench${path}`);
  if (!res.ok) throw new Error(`${path}: ${await res.text()}`);
  await res.text();
  return Number(process.hrtime.bigint() - t);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The cold path's token endpoint, in its own process.
const tokenServer = fork(join(here, "token-server.mjs"));
const tokenServerUrl = await new Promise((resolve) => tokenServer.once("message", resolve));
const sideBySide = {
  bindings: { CLIENT_ID: "bench", CLIENT_SECRET: "bench-secret-0123456789", SCOPE: "api://bench/.default", TOKEN_ENDPOINT: `${tokenServerUrl}/token` },
  kvNamespaces: ["TOKEN_CACHE"],
};

// One workerd per dist and Worker: [{ dist index, worker, Miniflare, workerd pid }].
const instances = [];
for (const [d, dist] of dists.entries()) {
  for (const [worker, extra] of [["breakdown-worker.js", {}], ["side-by-side-worker.js", sideBySide]]) {
    const before = new Set(workerdPids());
    const mf = await bundle(dist, worker, extra);
    await mf.ready;
    instances.push({ d, worker, mf, pid: workerdPids().find((p) => !before.has(p)) });
  }
}
const cases = [
  ["breakdown-worker.js", "memory hit", "/hit", 5000, ["edge", "hand"]],
  ["breakdown-worker.js", "store hit (Map store, memory off)", "/store", 300, ["edge", "hand"]],
  ["breakdown-worker.js", "cold acquisition (stub fetch, Map store)", "/cold", 300, ["edge", "hand", "raw"]],
  ["breakdown-worker.js", "WebCrypto AES-256-GCM open, 2.2 KB", "/decrypt", 2000, ["-"]],
  ["side-by-side-worker.js", "memory hit (run.mjs's Worker)", "/hit", 5000, ["edge", "hand"]],
  ["side-by-side-worker.js", "KV hit (Miniflare KV, memory off)", "/kv", 200, ["edge", "hand"]],
  ["side-by-side-worker.js", "cold acquisition (token server in its own process, KV)", "/cold", 50, ["edge", "hand", "raw"]],
  ["side-by-side-worker.js", "first acquisition of a new key (KV miss, token server, KV write)", "/miss", 50, ["edge", "hand"]],
];
const ROUNDS = Number(process.env.ROUNDS ?? 9);
try {
  const rows = [];
  for (const [worker, what, path, n, impls] of cases) {
    const samples = new Map();
    const cpu = new Map();
    for (let round = 0; round < ROUNDS; round++) {
      for (const { d, mf, pid } of instances.filter((i) => i.worker === worker)) {
        const c0 = cpuNs(pid);
        const noop = await call(mf, "/noop?n=1");
        const noopCpu = cpuNs(pid) - c0;
        for (const impl of impls) {
          if (impl !== "edge" && d > 0) continue;
          const k = `${impl}${impl === "edge" ? `#${d}` : ""}`;
          const c1 = cpuNs(pid);
          const t = await call(mf, `${path}?impl=${impl}&n=${n}&run=${round}`);
          const used = cpuNs(pid) - c1;
          if (round === 0) continue; // warm-up
          samples.set(k, [...(samples.get(k) ?? []), (t - noop) / n / 1000]);
          cpu.set(k, (cpu.get(k) ?? 0) + (used - noopCpu) / n / 1000);
        }
      }
    }
    for (const [k, xs] of samples) {
      const name = k.startsWith("edge") ? `entra-edge (${dists[Number(k.split("#")[1])]})` : k;
      rows.push(`| ${what} | ${name} | ${median(xs).toFixed(2)} µs | ${(cpu.get(k) / (ROUNDS - 1)).toFixed(2)} µs |`);
    }
  }
  console.log("| path | implementation | wall per call (median) | workerd CPU per call (mean) |\n|---|---|---|---|");
  for (const r of rows) console.log(r);
} finally {
  await Promise.all(instances.map(({ mf }) => mf.dispose()));
  tokenServer.disconnect();
}
