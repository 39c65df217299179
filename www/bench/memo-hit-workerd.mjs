// The memory hit in workerd, side by side (issue 24): side-by-side-worker.js bundled with this
// build and with another build of the package ("before"), both Workers in one Miniflare next to
// the hand-written helper (handrolled.js), alternated. Timed from outside around N hits per
// dispatch (Date.now() only advances across I/O in workerd), each Worker's /noop subtracted.
// Then the steps of one hit, each alone (memo-steps-worker.js, this build's memo.js).
//   node www/bench/memo-hit-workerd.mjs [before: path to another build's dist/ folder]
import { fork } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { Miniflare } from "miniflare";
import { bundleWorker, workerOptions } from "../test/support/workerd.mjs";

const N = 5000;
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const WORKER = fileURLToPath(new URL("./side-by-side-worker.js", import.meta.url));
const dists = { after: fileURLToPath(new URL("../dist/", import.meta.url)) };
if (process.argv[2]) dists.before = new URL(`${process.argv[2].replace(/\/?$/, "/")}`, `file://${process.cwd()}/`).pathname;

const tokenServer = fork(fileURLToPath(new URL("./token-server.mjs", import.meta.url)));
const tokenServerUrl = await new Promise((resolve) => tokenServer.once("message", resolve));
const bindings = { CLIENT_ID: "c", CLIENT_SECRET: "s", SCOPE: "api://bench/.default", TOKEN_ENDPOINT: `${tokenServerUrl}/token` };
const workers = [];
for (const [name, dist] of Object.entries(dists)) {
  workers.push({ name, ...workerOptions(await bundleWorker(WORKER, { dist }), { bindings, kvNamespaces: ["TOKEN_CACHE"] }) });
}
const stepsDir = await mkdtemp(join(tmpdir(), "entra-edge-steps-"));
await build({ entryPoints: [fileURLToPath(new URL("./memo-steps-worker.js", import.meta.url))], bundle: true, format: "esm", platform: "neutral", outfile: join(stepsDir, "worker.js"), logLevel: "warning" });
workers.push({ name: "steps", modulesRoot: stepsDir, modules: [{ type: "ESModule", path: join(stepsDir, "worker.js") }], compatibilityDate: "2026-04-01" });
const mf = new Miniflare({ workers });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  const fetchers = Object.fromEntries(await Promise.all(workers.map(async (w) => [w.name, await mf.getWorker(w.name)])));
  const call = async (worker, path) => {
    const t = process.hrtime.bigint();
    const res = await fetchers[worker].fetch(`http://bench${path}`);
    if (!res.ok) throw new Error(`${path}: ${await res.text()}`);
    await res.text();
    return Number(process.hrtime.bigint() - t);
  };
  // Each contender: a Worker and an implementation; its /noop is timed next to it.
  const contenders = [["after", "edge"], ...(dists.before ? [["before", "edge"]] : []), ["after", "hand"]];
  const runs = Object.fromEntries(contenders.map(([w, impl]) => [`${w}/${impl}`, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [w, impl] of contenders) {
      const noop = await call(w, `/noop?impl=${impl}&n=${N}`);
      const hits = await call(w, `/hit?impl=${impl}&n=${N}`);
      if (round > 0) runs[`${w}/${impl}`].push((hits - noop) / N);
    }
  }
  const us = (ns) => `${(ns / 1000).toFixed(3)} µs`;
  const m = Object.fromEntries(Object.entries(runs).map(([k, xs]) => [k, median(xs)]));
  console.log(`Memory hit in workerd (Miniflare): ${N} hits per dispatch, ${ROUNDS} alternated rounds, medians per hit\n`);
  console.log("| contender | per hit | over the helper |\n|---|---|---|");
  for (const [k, ns] of Object.entries(m)) console.log(`| ${k.replace("/edge", ": entra-edge").replace("after/hand", "hand-written helper")} | ${us(ns)} | ${k === "after/hand" ? "" : `+${us(ns - m["after/hand"])} (${(ns / m["after/hand"]).toFixed(2)}x)`} |`);

  const names = ["request", "lookup", "isPlain", "clock", "correlationId", "result", "promise"];
  const stepRuns = Object.fromEntries(names.map((n) => [n, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const name of names) {
      // Ten times as many: a step is a fraction of a hit, and dispatch timing is coarse.
      const noop = await call("steps", `/step?name=noop&n=${10 * N}`);
      const ns = await call("steps", `/step?name=${name}&n=${10 * N}`);
      if (round > 0) stepRuns[name].push((ns - noop) / (10 * N));
    }
  }
  console.log("\nSteps of one hit in workerd (this build's memo.js), each alone, median ns per call (the request row is every row's floor):\n\n| step | ns |\n|---|---|");
  for (const name of names) console.log(`| ${name} | ${median(stepRuns[name]).toFixed(1)} |`);
} finally {
  await mf.dispose();
  tokenServer.disconnect();
}
