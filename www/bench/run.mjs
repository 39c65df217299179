// The benchmark: entra-edge next to @azure/msal-node in Node, and entra-edge in workerd, against
// local endpoints only. Prints a markdown table (BENCHMARKS.md holds the latest). Run with
//   node --expose-gc www/bench/run.mjs      (after scripts/build.sh)
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { ConfidentialClientApplication as MsalApp } from "@azure/msal-node";
import { ConfidentialClientApplication } from "entra-edge";
import { makeCertificate } from "../test/support/cert.mjs";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "../test/support/entra-fake.mjs";
import { FakeKv } from "../test/support/fake-kv.mjs";
import { bundleWorker, startWorker } from "../test/support/workerd.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
const rows = [];
const row = (what, edge, other, note = "") => rows.push({ what, edge, other, note });
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
const tokenBody = '{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.sig"}';
const stubFetch = async () => new Response(tokenBody, { status: 200, headers: { "content-type": "application/json" } });

// msal-node cannot use an http authority or skip discovery without network: give it a network
// client that answers discovery locally and forwards token requests to the same local fake.
function msalApp(extra = {}) {
  const tenantUrl = `https://login.microsoftonline.com/${TENANT}`;
  const metadata = {
    token_endpoint: `${tenantUrl}/oauth2/v2.0/token`,
    issuer: `https://login.microsoftonline.com/${TENANT}/v2.0`,
    authorization_endpoint: `${tenantUrl}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${tenantUrl}/oauth2/v2.0/logout`,
    jwks_uri: `${tenantUrl}/discovery/v2.0/keys`,
  };
  const networkClient = {
    sendGetRequestAsync: async () => ({ headers: {}, body: metadata, status: 200 }),
    async sendPostRequestAsync(url, options) {
      const res = await fetch(url.replace("https://login.microsoftonline.com", fake.url), { method: "POST", headers: options.headers, body: options.body });
      return { headers: Object.fromEntries(res.headers), body: await res.json(), status: res.status };
    },
  };
  return new MsalApp({
    auth: { clientId: CLIENT_ID, authority: tenantUrl, clientSecret: SECRET, knownAuthorities: ["login.microsoftonline.com"], authorityMetadata: JSON.stringify(metadata), cloudDiscoveryMetadata: JSON.stringify({ tenant_discovery_endpoint: `${tenantUrl}/v2.0/.well-known/openid-configuration`, "api-version": "1.1", metadata: [{ preferred_network: "login.microsoftonline.com", preferred_cache: "login.windows.net", aliases: ["login.microsoftonline.com"] }] }), ...extra },
    system: { networkClient },
  });
}
const edgeApp = (extra = {}) => new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority, clientSecret: SECRET }, ...extra });

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
  row("cache hit (memory), median", us(e.median), us(m.median), `${(Number(m.median) / Number(e.median)).toFixed(1)}x faster`);
  row("cache hit (memory), p99", us(e.p99), us(m.p99), `${(Number(m.p99) / Number(e.p99)).toFixed(1)}x faster`);
}

// 2. Cold acquisition against the loopback Entra fake, next to a raw fetch of the same request.
{
  const form = new URLSearchParams({ grant_type: "client_credentials", scope: GRAPH[0], client_id: CLIENT_ID, client_secret: SECRET }).toString();
  const url = `${authority}/oauth2/v2.0/token`;
  const raw = await timeEach(300, async () => {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: form });
    await res.json();
  });
  const edge = edgeApp();
  const e = await timeEach(300, () => edge.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }));
  const msal = msalApp();
  const m = await timeEach(300, () => msal.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }));
  row("cold acquisition, client secret, median (raw fetch: " + us(raw.median) + ")", us(e.median), us(m.median), `+${us(e.median - raw.median)} over raw fetch`);
  const rsa = await makeCertificate("rsa");
  const certFake = await startEntraFake({ apps: [{ tenant: TENANT, clientId: CLIENT_ID, certificates: [rsa.certificate] }] });
  const certApp = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${certFake.url}/${TENANT}`, clientCertificate: { privateKey: rsa.privateKey, x5c: rsa.certificate } } });
  const c = await timeEach(200, () => certApp.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }));
  row("cold acquisition, RSA certificate (PS256), median", us(c.median), "", "includes the fake verifying the signature");
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

// 6. Memory per cached token with 10,000 tenants (one app per tenant, as a multi-tenant daemon).
{
  const tenants = 10000;
  const measure = () => {
    global.gc?.();
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers + m.external;
  };
  const before = measure();
  const apps = [];
  for (let i = 0; i < tenants; i++) {
    const app = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `https://login.microsoftonline.com/tenant-${i}.example`, clientSecret: SECRET }, system: { fetch: stubFetch } });
    await app.acquireTokenByClientCredential({ scopes: GRAPH });
    apps.push(app);
  }
  const edgeBytes = (measure() - before) / tenants;
  const msalBefore = measure();
  const msalApps = [];
  for (let i = 0; i < 1000; i++) {
    const app = msalApp();
    await app.acquireTokenByClientCredential({ scopes: GRAPH });
    msalApps.push(app);
  }
  const msalBytes = (measure() - msalBefore) / 1000;
  row("memory per tenant (app + cached token), 10,000 tenants", `${(edgeBytes / 1024).toFixed(1)} KiB`, `${(msalBytes / 1024).toFixed(1)} KiB`, `msal-node measured over 1,000; global.gc ${global.gc ? "on" : "off (run with --expose-gc)"}`);
  apps.length = 0;
}

// 7. workerd: assertion cost and KV store hits, timed from outside around N iterations.
{
  const rsa = await makeCertificate("rsa");
  const ec = await makeCertificate("ec");
  const bundle = await bundleWorker(fileURLToPath(new URL("./workerd-bench.js", import.meta.url)));
  const mf = startWorker(bundle, { bindings: { RSA_KEY: rsa.privateKey, RSA_SHA1: rsa.thumbprint, RSA_SHA256: rsa.thumbprintSha256, EC_KEY: ec.privateKey } });
  try {
    const call = async (path) => {
      const t = process.hrtime.bigint();
      const res = await mf.dispatchFetch(`http://bench${path}`);
      if (!res.ok) throw new Error(`${path}: ${await res.text()}`);
      await res.text();
      return process.hrtime.bigint() - t;
    };
    const N = 200;
    const perCall = async (path) => {
      await call(path);
      const runs = [];
      for (let i = 0; i < 5; i++) runs.push(await call(path));
      return stats(runs).median / BigInt(N);
    };
    const base = await perCall(`/assert?alg=secret&n=${N}`);
    for (const alg of ["ES256", "PS256", "RS256"]) row(`one client assertion, ${alg} (workerd), median`, us((await perCall(`/assert?alg=${alg}&n=${N}`)) - base), "", `${N} acquisitions per request, minus the client-secret ones`);
    const noop = await perCall(`/noop?n=${N}`);
    row("store hit (workerd, Miniflare KV), median", us((await perCall(`/store?n=${N}`)) - noop), "", `${N} hits per request with memory: false`);
  } finally {
    await mf.dispose();
  }
}

// 8. Sizes and startup.
{
  const dist = fileURLToPath(new URL("../dist/", import.meta.url));
  const wasm = readFileSync(`${dist}entra_edge_bg.wasm`);
  const glue = readFileSync(`${dist}workerd.js`);
  row("Worker ships: wasm (raw / gzipped)", `${(wasm.length / 1024).toFixed(0)} KiB / ${(gzipSync(wasm, { level: 9 }).length / 1024).toFixed(0)} KiB`, "");
  row("Worker ships: JS glue (raw / gzipped)", `${(glue.length / 1024).toFixed(1)} KiB / ${(gzipSync(glue, { level: 9 }).length / 1024).toFixed(1)} KiB`, "");
  const startup = execFileSync(process.execPath, ["--input-type=module", "-e", `
    import { readFileSync } from "node:fs";
    const module = new WebAssembly.Module(readFileSync(${JSON.stringify(`${dist}entra_edge_bg.wasm`)}));
    const t = performance.now();
    const { setModuleLoader } = await import(${JSON.stringify(fileURLToPath(new URL("../src/loader.js", import.meta.url)))});
    setModuleLoader(() => module);
    const { ConfidentialClientApplication } = await import(${JSON.stringify(fileURLToPath(new URL("../src/client.js", import.meta.url)))});
    new ConfidentialClientApplication({ auth: { clientId: "c", authority: "https://login.microsoftonline.com/t.example", clientSecret: "s" } });
    console.log(performance.now() - t);`]).toString();
  row("startup: module evaluation + wasm instantiation + first client (Node, precompiled module)", ms(Number(startup)), "", "workerd compiles the wasm at upload, like the precompiled module here");
}

await fake.close();
const cpu = cpus()[0]?.model ?? "unknown CPU";
console.log(`Machine: ${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}\n`);
console.log("| measure | entra-edge | @azure/msal-node 7.2.3 | note |\n|---|---|---|---|");
for (const r of rows) console.log(`| ${r.what} | ${r.edge} | ${r.other} | ${r.note} |`);
