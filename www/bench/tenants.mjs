// Memory per cached token across many tenants, one measurement per process (run.mjs starts it):
//   node --expose-gc bench/tenants.mjs <mode> <tenants> [package entry to measure instead, e.g.
//   another build's dist/node.mjs, for a side-by-side run]
// mode: "one-app" (one app, a tenantId per request), "default-bound" (the same with the default
// cache.maxEntries, 10,000: past it a hit becomes a token request), "app-per-tenant", "msal"
// (msal-node, one app, msal's per-request authority). Tokens are Entra-sized (about 2.2 KB, unique per tenant)
// and come from a stub fetch or network client, so only what the client keeps is measured.
// Prints one JSON line: bytes per token beyond the token's own length, and memory-hit latency.
import { randomBytes } from "node:crypto";
import { ConfidentialClientApplication as MsalApp } from "@azure/msal-node";
import { LOGIN, localNetworkClient } from "./msal-local.mjs";

const [mode, count] = [process.argv[2], Number(process.argv[3])];
const { ConfidentialClientApplication } = await import(process.argv[4] ? new URL(process.argv[4], `file://${process.cwd()}/`).href : "entra-edge");
const GRAPH = ["https://graph.microsoft.com/.default"];
const HOME = "00000000-0000-4000-8000-000000000000";
const tenant = (i) => `${String(i).padStart(8, "0")}-0000-4000-8000-${String(i).padStart(12, "0")}`;
// Header, claims and an RS256 signature of Entra's usual sizes: 2,081 characters.
const jwt = () => `eyJ0eXAiOiJKV1QiLCJub25jZSI6Ik${randomBytes(30).toString("base64url")}.${randomBytes(1250).toString("base64url")}.${randomBytes(256).toString("base64url")}`;
const TOKEN_LENGTH = jwt().length;
const answer = () => ({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: jwt() });
const fetch = async () => new Response(JSON.stringify(answer()), { status: 200, headers: { "content-type": "application/json" } });

function measure() {
  global.gc();
  global.gc();
  const m = process.memoryUsage();
  // Node's external already includes arrayBuffers; the wasm memory is in it too.
  return { rss: m.rss, js: m.heapUsed + m.external };
}

// A random tenant per call, drawn before timing: with many tenants each hit finds its entry out
// of the CPU's caches, as a server's would.
const order = Int32Array.from({ length: 22_000 }, () => Math.floor(Math.random() * count));

async function hitLatency(acquire, n = 20000) {
  for (let i = 0; i < 2000; i++) await acquire(order[i]);
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await acquire(order[2000 + i]);
    samples.push(Number(process.hrtime.bigint() - t));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] / 1000;
}

const keep = [];
const before = measure();
// Built once, outside the timed loop (a caller holds its tenants' ids): building a string per
// call was bench overhead, and a fresh string also costs the lookup a hash.
const tenants = Array.from({ length: count }, (_, i) => tenant(i));
let acquire;
let sources;
if (mode === "one-app" || mode === "default-bound") {
  const app = new ConfidentialClientApplication({
    auth: { clientId: "c", authority: `https://login.microsoftonline.com/${HOME}`, clientSecret: "s", allowedTenants: ["*"] },
    cache: mode === "one-app" ? { maxEntries: count } : {},
    system: { fetch },
  });
  for (let i = 0; i < count; i++) await app.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: tenants[i] });
  keep.push(app);
  acquire = (i) => app.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: tenants[i] });
  if (mode === "default-bound") {
    // Where each answer came from (an extra promise per call, so not in the one-app figure).
    sources = {};
    acquire = async (i) => {
      const { tokenSource } = await app.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: tenants[i] });
      sources[tokenSource] = (sources[tokenSource] ?? 0) + 1;
    };
  }
} else if (mode === "app-per-tenant") {
  for (let i = 0; i < count; i++) {
    const app = new ConfidentialClientApplication({ auth: { clientId: "c", authority: `https://login.microsoftonline.com/${tenants[i]}`, clientSecret: "s" }, system: { fetch } });
    await app.acquireTokenByClientCredential({ scopes: GRAPH });
    keep.push(app);
  }
  acquire = (i) => keep[i].acquireTokenByClientCredential({ scopes: GRAPH });
} else if (mode === "msal") {
  // msal-node discovers each authority; this network client answers locally, for every tenant.
  const app = new MsalApp({ auth: { clientId: "c", authority: `${LOGIN}/${HOME}`, clientSecret: "s" }, system: { networkClient: localNetworkClient({ answer }) } });
  const authorities = tenants.map((t) => `${LOGIN}/${t}`);
  const authority = (i) => authorities[i];
  for (let i = 0; i < count; i++) await app.acquireTokenByClientCredential({ scopes: GRAPH, authority: authority(i) });
  keep.push(app);
  acquire = (i) => app.acquireTokenByClientCredential({ scopes: GRAPH, authority: authority(i) });
} else {
  throw new Error(`unknown mode ${mode}`);
}
const after = measure();
const perToken = (bytes) => Math.round(bytes / count - TOKEN_LENGTH);
const hit = await hitLatency(acquire, mode === "msal" ? 2000 : 20000);
// The floor of any per-tenant memory: a bare Map from the same tenant strings to an object with
// an expiry, read the same way (a lookup, a Date, a settled promise).
const floor = new Map(tenants.map((t) => [t, { expiresOn: Date.now() + 3_600_000 }]));
const floorHit = await hitLatency((i) => Promise.resolve(new Date(floor.get(tenants[i]).expiresOn)));
console.log(JSON.stringify({ mode, count, tokenLength: TOKEN_LENGTH, rssBeyondToken: perToken(after.rss - before.rss), jsBeyondToken: perToken(after.js - before.js), hitMicros: hit, mapFloorMicros: floorHit, sources }));
