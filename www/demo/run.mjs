// The demo: the example Worker (www/examples/worker.js) running in workerd, getting a token
// and listing users through a Graph API.
//
// Default: a local identity provider (oidc-provider, a real OAuth 2.0 server) and a local
// Graph-like API that checks the token's signature and role. With TENANT_ID, CLIENT_ID and
// CLIENT_SECRET in the environment it talks to real Microsoft Entra ID and Microsoft Graph.
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { bundleWorker, startWorker } from "../test/support/workerd.mjs";

const real = process.env.TENANT_ID && process.env.CLIENT_ID && process.env.CLIENT_SECRET;
const closers = [];
let bindings;

if (real) {
  bindings = { TENANT_ID: process.env.TENANT_ID, CLIENT_ID: process.env.CLIENT_ID, CLIENT_SECRET: process.env.CLIENT_SECRET };
  console.log(`Using Microsoft Entra ID (tenant ${process.env.TENANT_ID}) and Microsoft Graph.`);
} else {
  const { startIdp } = await import("../test/support/idp.mjs");
  const { startGraphFake } = await import("../test/support/graph-fake.mjs");
  const idp = await startIdp({
    clients: [
      { client_id: "demo-daemon", client_secret: "demo-secret-value", token_endpoint_auth_method: "client_secret_post" },
      // Gets tokens without the User.Read.All role: the Graph-like API refuses it, as Graph
      // refuses an app whose permission no administrator consented to.
      { client_id: "demo-unconsented", client_secret: "demo-secret-value", token_endpoint_auth_method: "client_secret_post" },
    ],
  });
  const graph = await startGraphFake({ jwksUri: idp.jwksUri, issuer: idp.issuer, audience: idp.audience });
  closers.push(idp.close, graph.close);
  bindings = {
    CLIENT_ID: "demo-daemon",
    CLIENT_SECRET: "demo-secret-value",
    TOKEN_ENDPOINT: idp.tokenEndpoint,
    SCOPE: "User.Read.All",
    GRAPH_BASE: graph.url,
  };
  console.log(`Local identity provider (oidc-provider) at ${idp.issuer}, Graph-like API at ${graph.url}.`);
}

const bundle = await bundleWorker(fileURLToPath(new URL("../examples/worker.js", import.meta.url)));
const kvPersist = await mkdtemp(join(tmpdir(), "entra-edge-demo-kv-"));

async function users(worker, label) {
  const started = performance.now();
  const res = await worker.dispatchFetch("http://example.worker/users");
  if (res.headers.get("content-type")?.startsWith("text/html")) {
    const text = (await res.text())
      .replace(/<title>.*?<\/title>/, "")
      .replace(/<[^>]+>/g, " ")
      .replace(/&#(\d+);/g, (_, code) => String.fromCharCode(Number(code)))
      .replace(/\s+/g, " ")
      .trim();
    console.log(`${label}: HTTP ${res.status} page: ${text}`);
    return;
  }
  const body = await res.json();
  const ms = (performance.now() - started).toFixed(1);
  if (!res.ok) {
    console.log(`${label}: HTTP ${res.status} ${JSON.stringify(body)}`);
    process.exitCode = 1;
    return;
  }
  const names = body.users.map((u) => u.displayName).join(", ");
  console.log(`${label}: token from ${body.tokenSource}, Graph answered ${body.graphStatus} in ${ms} ms: ${names}`);
}

let worker = startWorker(bundle, { bindings, kvPersist });
try {
  await users(worker, "GET /users (cold isolate)     ");
  await users(worker, "GET /users (same isolate)     ");
} finally {
  await worker.dispose();
}
worker = startWorker(bundle, { bindings, kvPersist });
try {
  await users(worker, "GET /users (new isolate, KV)  ");
} finally {
  await worker.dispose();
}
if (!real) {
  worker = startWorker(bundle, { bindings: { ...bindings, CLIENT_ID: "demo-unconsented", SCOPE: "users.read" } });
  try {
    await users(worker, "GET /users (app lacking consent)");
  } finally {
    await worker.dispose();
  }
}
for (const close of closers) await close();
