// The benchmark, side by side against local endpoints only: entra-edge next to @azure/msal-node
// in Node, next to @azure/identity (sdk.mjs), fleets over Redis (fleet.mjs), and next to a
// hand-written helper (handrolled.js: fetch + KV) in workerd. Prints four markdown tables with
// ratios (BENCHMARKS.md holds the latest). Run with
//   node --expose-gc www/bench/run.mjs      (after scripts/build.sh)
import { execFileSync, fork } from "node:child_process";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";
import { ConfidentialClientApplication as MsalApp } from "@azure/msal-node";
import { ConfidentialClientApplication } from "entra-edge";
import { makeCertificate } from "../test/support/cert.mjs";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "../test/support/entra-fake.mjs";
import { FakeKv } from "../test/support/fake-kv.mjs";
import { bundleWorker, startWorker } from "../test/support/workerd.mjs";
import { benchFleet } from "./fleet.mjs";
import { LOGIN, instanceMetadata, localNetworkClient, tenantMetadata } from "./msal-local.mjs";
import { benchSdk } from "./sdk.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
const tables = { node: [], workerd: [], sdk: [], fleet: [] };
let table = tables.node;
const row = (what, edge, other, note = "") => table.push({ what, edge, other, note });
const ratio = (slow, fast) => `${(Number(slow) / Number(fast)).toFixed(1)}x`;
const us = (ns) => `${(Number(ns) / 1000).toFixed(1)} µs`;
const ms = (x) => `${x.toFixed(2)} ms`;

function stats(samples) {
  const s = [...samples].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { median: s[Math.floor(s.length / 2)], p99: s[Math.floor(s.length * 0.99)] };
}

async function timeEach(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    samples.push(process.hrtime.bigint() - t);
  }
  return stats(samples);
}

const fake = await startEntraFake();
const authority = `${fake.url}/${TENANT}`;
// The cold-path token endpoint runs in its own process (token-server.mjs).
const tokenServer = fork(fileURLToPath(new URL("./token-server.mjs", import.meta.url)));
const tokenServerUrl = await new Promise((resolve) => tokenServer.once("message", resolve));
/** How many token requests the token server has answered. */
const tokenRequests = async () => Number(await (await fetch(tokenServerUrl)).text());
const tokenBody = '{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.sig"}';
const stubFetch = async () => new Response(tokenBody, { status: 200, headers: { "content-type": "application/json" } });

// msal-node cannot use an http authority or skip discovery without network: give it its
// discovery up front and a network client that forwards token requests to a local server.
function msalApp(extra = {}, target = fake.url) {
  return new MsalApp({
    auth: {
      clientId: CLIENT_ID,
      authority: `${LOGIN}/${TENANT}`,
      clientSecret: SECRET,
      knownAuthorities: ["login.microsoftonline.com"],
      authorityMetadata: JSON.stringify(tenantMetadata(TENANT)),
      cloudDiscoveryMetadata: JSON.stringify(instanceMetadata(TENANT)),
      ...extra,
    },
    system: { networkClient: localNetworkClient({ target }) },
  });
}
const edgeApp = (extra = {}) => new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority, clientSecret: SECRET }, ...extra });

// The package as npm installs it, and a dependency with everything it pulls in.
const packedSize = JSON.parse(execFileSync("npm", ["pack", "--dry-run", "--json"], { cwd: fileURLToPath(new URL("..", import.meta.url)), stdio: ["ignore", "pipe", "ignore"] }).toString())[0].unpackedSize;
function installedSize(name) {
  const dirSize = (dir) => readdirSync(dir, { withFileTypes: true }).reduce((n, d) => n + (d.isDirectory() ? dirSize(join(dir, d.name)) : statSync(join(dir, d.name)).size), 0);
  const nodeModules = fileURLToPath(new URL("../node_modules/", import.meta.url));
  const seen = new Set();
  const installed = (dep) => {
    if (seen.has(dep)) return 0;
    seen.add(dep);
    const dir = join(nodeModules, dep);
    const deps = Object.keys(JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).dependencies ?? {});
    return dirSize(dir) + deps.reduce((n, d) => n + installed(d), 0);
  };
  const bytes = installed(name);
  return { bytes, dependencies: seen.size - 1 };
}

// 1. Cache hits.
{
  const edge = edgeApp();
  const msal = msalApp();
  await edge.acquireTokenByClientCredential({ scopes: GRAPH });
  await msal.acquireTokenByClientCredential({ scopes: GRAPH });
  for (let i = 0; i < 2000; i++) {
    await edge.acquireTokenByClientCredential({ scopes: GRAPH });
    await msal.acquireTokenByClientCredential({ scopes: GRAPH });
  }
  const e = await timeEach(20000, () => edge.acquireTokenByClientCredential({ scopes: GRAPH }));
  const m = await timeEach(20000, () => msal.acquireTokenByClientCredential({ scopes: GRAPH }));
  row("cache hit (memory), median", us(e.median), us(m.median), `${ratio(m.median, e.median)} faster`);
  row("cache hit (memory), p99", us(e.p99), us(m.p99), `${ratio(m.p99, e.p99)} faster`);
}

// 2. Cold acquisitions. Client secret: against the out-of-process token server, next to a raw
// fetch of the same request (the floor). Certificate: against the Entra fake, which verifies it.
{
  const form = new URLSearchParams({ grant_type: "client_credentials", scope: GRAPH[0], client_id: CLIENT_ID, client_secret: SECRET }).toString();
  const url = `${tokenServerUrl}/${TENANT}/oauth2/v2.0/token`;
  const rawFetch = async () => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
    await res.json();
  };
  const edge = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${tokenServerUrl}/${TENANT}`, clientSecret: SECRET } });
  const msal = msalApp({}, tokenServerUrl);
  const edgeCold = () => edge.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true });
  const msalCold = () => msal.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true });
  // Interleaved rounds, so drift in the machine's state hits all three alike.
  const samples = { raw: [], edge: [], msal: [] };
  for (let round = 0; round < 10; round++) {
    for (const [name, fn] of [["raw", rawFetch], ["edge", edgeCold], ["msal", msalCold]]) {
      await timeEach(20, fn); // warm
      for (let i = 0; i < 100; i++) {
        const t = process.hrtime.bigint();
        await fn();
        samples[name].push(process.hrtime.bigint() - t);
      }
    }
  }
  const [raw, e, m] = ["raw", "edge", "msal"].map((k) => stats(samples[k]).median);
  row(`cold acquisition, client secret, median (raw fetch of the same request: ${us(raw)})`, `${us(e)} (+${us(e - raw)})`, `${us(m)} (+${us(m - raw)})`, "out-of-process token server");

  const rsa = await makeCertificate("rsa");
  const certFake = await startEntraFake({ apps: [{ tenant: TENANT, clientId: CLIENT_ID, certificates: [rsa.certificate] }], hostAliases: ["https://login.microsoftonline.com"] });
  const certApp = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${certFake.url}/${TENANT}`, clientCertificate: { privateKey: rsa.privateKey, x5c: rsa.certificate } } });
  const msalCert = msalApp({ clientSecret: undefined, clientCertificate: { privateKey: rsa.privateKey, thumbprintSha256: rsa.thumbprintSha256 } }, certFake.url);
  await timeEach(20, () => certApp.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }));
  await timeEach(20, () => msalCert.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }));
  const c = await timeEach(300, () => certApp.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }));
  const mc = await timeEach(300, () => msalCert.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }));
  row("cold acquisition, RSA certificate (PS256), median", us(c.median), us(mc.median), `${ratio(mc.median, c.median)} faster; includes the fake verifying the signature`);
  await certFake.close();
}

// 3. Token requests made by 1000 concurrent cold calls.
{
  let n = fake.requests.length;
  const edge = edgeApp();
  await Promise.all(Array.from({ length: 1000 }, () => edge.acquireTokenByClientCredential({ scopes: GRAPH })));
  const edgeCount = fake.requests.length - n;
  n = fake.requests.length;
  const msal = msalApp();
  await Promise.all(Array.from({ length: 1000 }, () => msal.acquireTokenByClientCredential({ scopes: GRAPH })));
  row("token requests for 1000 concurrent cold calls", String(edgeCount), String(fake.requests.length - n));
}

// 4. Assertion cost in Node: acquisitions answered by a stub fetch, minus the secret baseline.
{
  const rsa = await makeCertificate("rsa");
  const ec = await makeCertificate("ec");
  const make = (auth) => new ConfidentialClientApplication({ auth: { clientId: "bench", tokenEndpoint: "https://idp.example/token", ...auth }, system: { fetch: stubFetch } });
  const apps = {
    secret: make({ clientSecret: "s" }),
    ES256: make({ clientCertificate: { privateKey: ec.privateKey } }),
    RS256: make({ clientCertificate: { privateKey: rsa.privateKey, thumbprint: rsa.thumbprint } }),
    PS256: make({ clientCertificate: { privateKey: rsa.privateKey, thumbprintSha256: rsa.thumbprintSha256 } }),
  };
  const medians = {};
  for (const [alg, app] of Object.entries(apps)) {
    await timeEach(100, () => app.acquireTokenByClientCredential({ scopes: ["s"], skipCache: true }));
    medians[alg] = (await timeEach(500, () => app.acquireTokenByClientCredential({ scopes: ["s"], skipCache: true }))).median;
  }
  for (const alg of ["ES256", "PS256", "RS256"]) row(`one client assertion, ${alg} (Node), median`, us(medians[alg] - medians.secret), "", "acquisition time minus the client-secret one");
}

// 5. Store hit latency (Node, in-memory KV stand-in: the unsealing cost).
{
  const kv = new FakeKv();
  const writes = [];
  const app = edgeApp({ cache: { store: kv, memory: false } });
  await app.acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => writes.push(p) });
  await Promise.all(writes);
  const s = await timeEach(5000, () => app.acquireTokenByClientCredential({ scopes: GRAPH }));
  row("store hit (Node, in-memory KV), median", us(s.median), "", "read + AES-GCM open");
}

// 6. Many tenants: memory per cached token (Entra-sized tokens) and memory-hit latency, each
// measured in a fresh process (bench/tenants.mjs).
{
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  const run = (mode, n) => JSON.parse(execFileSync(process.execPath, ["--expose-gc", "bench/tenants.mjs", mode, String(n)], { cwd }).toString());
  const kb = (b) => `${(b / 1024).toFixed(2)} KiB`;
  const one = run("one-app", 100_000);
  const single = run("one-app", 1);
  const perApp = run("app-per-tenant", 10_000);
  const msal = run("msal", 10_000);
  const beyond = (r) => `${kb(r.jsBeyondToken)} heap + wasm, ${kb(r.rssBeyondToken)} RSS`;
  row(
    `memory per cached token beyond the token (${one.tokenLength} chars): one app, 100,000 tenants`,
    beyond(one),
    `${beyond(msal)} (one app, msal's per-request authority, 10,000 tenants)`,
    "heap + wasm = V8's heapUsed + external; RSS also counts heap V8 reserves and keeps",
  );
  row("the same, one app per tenant, 10,000 apps", beyond(perApp), "", "each app also holds its configuration and key");
  const bound = run("default-bound", 70_300);
  const share = (r) => `${Math.round((100 * (r.sources.identityProvider ?? 0)) / Object.values(r.sources).reduce((a, b) => a + b))}%`;
  row("the same request with 70,300 tenants and the default cache.maxEntries (10,000), median", `${bound.hitMicros.toFixed(2)} µs`, "", `${share(bound)} of calls are token requests: the bound evicts valid tokens (logged once at Warning); raise it, or set a store`);
  row(
    "memory hit with 100,000 tenants cached, median (with 1 cached)",
    `${one.hitMicros.toFixed(2)} µs (${single.hitMicros.toFixed(2)} µs)`,
    `${(msal.hitMicros / 1000).toFixed(2)} ms with 10,000`,
    `a random tenant per call; msal-node scans its cache; a bare Map of the same tenants, read alike: ${one.mapFloorMicros.toFixed(2)} µs (${single.mapFloorMicros.toFixed(2)} µs)`,
  );
}

// 7. Startup and installed size (Node).
{
  const dist = fileURLToPath(new URL("../dist/", import.meta.url));
  const startup = (script) => {
    // From www/, so that bare imports resolve wherever the command was started.
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    const runs = Array.from({ length: 7 }, () => Number(execFileSync(process.execPath, ["--input-type=module", "-e", script], { cwd }).toString()));
    return stats(runs).median;
  };
  // The published bundle, as a daemon imports it: reading and compiling the wasm included.
  const edge = startup(`
    const t = performance.now();
    const { ConfidentialClientApplication } = await import(${JSON.stringify(`${dist}node.mjs`)});
    new ConfidentialClientApplication({ auth: { clientId: "c", authority: "https://login.microsoftonline.com/t.example", clientSecret: "s" } });
    console.log(performance.now() - t);`);
  const msal = startup(`
    const t = performance.now();
    const { ConfidentialClientApplication } = await import("@azure/msal-node");
    new ConfidentialClientApplication({ auth: { clientId: "c", authority: "https://login.microsoftonline.com/t.example", clientSecret: "s" } });
    console.log(performance.now() - t);`);
  row("startup: import + first client, median of 7 processes", ms(edge), ms(msal), `${ratio(msal, edge)} faster; entra-edge's includes reading and compiling its wasm`);

  const msalInstalled = installedSize("@azure/msal-node");
  row("installed size (package + dependencies)", `${(packedSize / 1024).toFixed(0)} KiB, 0 dependencies`, `${(msalInstalled.bytes / 1024).toFixed(0)} KiB, ${msalInstalled.dependencies} dependencies`, `${ratio(msalInstalled.bytes, packedSize)} smaller`);
}

// 7b. The Azure SDK credential next to @azure/identity's (bench/sdk.mjs).
table = tables.sdk;
await benchSdk({ row, timeEach, us, ratio, tokenServerUrl, tokenRequests, installedSize, packedSize, ids: { tenant: TENANT, clientId: CLIENT_ID, secret: SECRET } });

// 7c. Fleets over Redis and a Durable Object (bench/fleet.mjs).
table = tables.fleet;
await benchFleet({ row, stats, us, tokenServerUrl, tokenRequests });

// 8. workerd, next to the hand-written helper, against the out-of-process token server. Timed
// from outside around N operations per request (Date.now() only advances across I/O in workerd);
// the dispatch baseline (/noop) is subtracted.
table = tables.workerd;
{
  const bundle = await bundleWorker(fileURLToPath(new URL("./side-by-side-worker.js", import.meta.url)));
  const bindings = { CLIENT_ID, CLIENT_SECRET: SECRET, SCOPE: GRAPH[0], TOKEN_ENDPOINT: `${tokenServerUrl}/token` };
  const mf = startWorker(bundle, { bindings });
  const call = async (instance, path) => {
    const t = process.hrtime.bigint();
    const res = await instance.dispatchFetch(`http://bench${path}`);
    if (!res.ok) throw new Error(`${path}: ${await res.text()}`);
    await res.text();
    return process.hrtime.bigint() - t;
  };
  const perCall = async (path, n) => {
    await call(mf, `${path}&n=${n}`);
    const runs = [];
    for (let i = 0; i < 7; i++) runs.push(await call(mf, `${path}&n=${n}`));
    return stats(runs).median;
  };
  try {
    const N = 200;
    const noop = await perCall("/noop?impl=edge", N);
    const each = async (path) => ((await perCall(path, N)) - noop) / BigInt(N);
    const HITS = 5000;
    const hitEach = async (path) => ((await perCall(path, HITS)) - noop) / BigInt(HITS);
    const [eHit, hHit] = [await hitEach("/hit?impl=edge"), await hitEach("/hit?impl=hand")];
    row("cache hit (memory), median per call", us(eHit), us(hHit), hHit > 0n ? `${ratio(eHit, hHit)} the helper's time` : "the helper's Map lookup is below what dispatch timing resolves");
    const [eKv, hKv] = [await each("/kv?impl=edge"), await each("/kv?impl=hand")];
    row("cache hit from KV (Miniflare), median per call", us(eKv), us(hKv), "entra-edge also opens AES-GCM");
    const COLD = 50;
    const coldEach = async (path) => ((await perCall(path, COLD)) - noop) / BigInt(COLD);
    const [raw, eCold, hCold] = [await coldEach("/cold?impl=raw"), await coldEach("/cold?impl=edge"), await coldEach("/cold?impl=hand")];
    row(`cold acquisition, client secret, per call (raw fetch: ${us(raw)})`, `${us(eCold)} (+${us(eCold - raw)})`, `${us(hCold)} (+${us(hCold - raw)})`, "the helper awaits its KV write; entra-edge hands it to waitUntil");
    let before = await tokenRequests();
    await call(mf, "/concurrent?impl=edge&n=1000");
    const edgeRequests = (await tokenRequests()) - before;
    before = await tokenRequests();
    await call(mf, `/concurrent?impl=hand&n=1000&run=${Date.now()}`);
    row("token requests for 1000 concurrent cold calls (one Worker request)", String(edgeRequests), String((await tokenRequests()) - before));
  } finally {
    await mf.dispose();
  }

  // Startup: the first request that constructs a client, on fresh instances, minus a warm one.
  const startupOf = async (impl) => {
    const runs = [];
    for (let i = 0; i < 5; i++) {
      const fresh = startWorker(bundle, { bindings });
      try {
        await fresh.ready;
        const first = await call(fresh, `/construct?impl=${impl}`);
        runs.push(first - (await call(fresh, `/construct?impl=${impl}`)));
      } finally {
        await fresh.dispose();
      }
    }
    return stats(runs).median;
  };
  const [eStart, hStart] = [await startupOf("edge"), await startupOf("hand")];
  row("startup: first request constructing a client, minus a warm request", us(eStart), us(hStart), "module evaluation + wasm instantiation + construction; workerd compiled the wasm at load");

  // What a Worker ships: entra-edge's wasm + glue, against the helper bundled alone.
  const dist = fileURLToPath(new URL("../dist/", import.meta.url));
  const gz = (b) => gzipSync(b, { level: 9 }).length;
  const wasm = readFileSync(`${dist}entra_edge_bg.wasm`);
  const glue = readFileSync(`${dist}workerd.js`);
  const hand = await build({ entryPoints: [fileURLToPath(new URL("./handrolled.js", import.meta.url))], bundle: true, minify: true, format: "esm", write: false });
  const handBytes = Buffer.from(hand.outputFiles[0].contents);
  row("Worker ships, gzipped (raw)", `${((gz(wasm) + gz(glue)) / 1024).toFixed(1)} KiB (${((wasm.length + glue.length) / 1024).toFixed(0)} KiB): wasm ${(gz(wasm) / 1024).toFixed(1)} + glue ${(gz(glue) / 1024).toFixed(1)}`, `${(gz(handBytes) / 1024).toFixed(1)} KiB (${(handBytes.length / 1024).toFixed(1)} KiB)`, "wasm after wasm-opt -Oz");
}

await fake.close();
tokenServer.disconnect();
const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`Machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
console.log("In Node, next to @azure/msal-node 7.2.3:\n");
console.log("| measure | entra-edge | @azure/msal-node 7.2.3 | note |\n|---|---|---|---|");
for (const r of tables.node) console.log(`| ${r.what} | ${r.edge} | ${r.other} | ${r.note} |`);
console.log("\nAzure SDK credential (Node), next to @azure/identity 4.14.1's ClientSecretCredential:\n");
console.log("| measure | entra-edge | @azure/identity 4.14.1 | note |\n|---|---|---|---|");
for (const r of tables.sdk) console.log(`| ${r.what} | ${r.edge} | ${r.other} | ${r.note} |`);
console.log("\nFleets: entra-edge with and without the lease, next to @azure/msal-node 7.2.3:\n");
console.log("| measure | entra-edge | @azure/msal-node 7.2.3 | note |\n|---|---|---|---|");
for (const r of tables.fleet) console.log(`| ${r.what} | ${r.edge} | ${r.other} | ${r.note} |`);
console.log("\nIn workerd (Miniflare), next to a hand-written helper (bench/handrolled.js: fetch + KV):\n");
console.log("| measure | entra-edge | hand-written helper | note |\n|---|---|---|---|");
for (const r of tables.workerd) console.log(`| ${r.what} | ${r.edge} | ${r.other} | ${r.note} |`);
