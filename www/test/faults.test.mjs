// Hostile and failing token endpoints (support/fault-server.mjs), from Node and from workerd,
// each against the outcome support/faults.mjs states. Every test has a time limit: a hang fails.
// Node only (not in the Deno and Bun pass): the request counts asserted are Node's fetch's; Deno
// 2.9's fetch sent one more request after a reset connection and after a cancelled gzip body.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { AuthError, ConfidentialClientApplication } from "entra-edge";
import { startFaultServer } from "./support/fault-server.mjs";
import { EXPECTED, SYSTEM, checkOutcome } from "./support/faults.mjs";
import { FakeKv } from "./support/fake-kv.mjs";
import { until } from "./support/until.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const LIMIT = { timeout: 20_000 };
let server;
let bundle;
let worker;
before(async () => {
  server = await startFaultServer();
  bundle = await bundleWorker(fileURLToPath(new URL("./workers/fault-worker.js", import.meta.url)));
  worker = startWorker(bundle);
});
after(async () => {
  await worker.dispose();
  await server.close();
});

function nodeApp(endpoint, extra = {}) {
  return new ConfidentialClientApplication({
    auth: { clientId: "fault-client", tokenEndpoint: endpoint, clientSecret: "fault-secret" },
    system: SYSTEM,
    ...extra,
  });
}

/** A result, or the error's fields as the workerd side reports them. */
async function inNode(app) {
  try {
    const r = await app.acquireTokenByClientCredential({ scopes: ["api"] });
    return { tokenSource: r.tokenSource, accessToken: r.accessToken };
  } catch (e) {
    assert.ok(e instanceof AuthError, `an AuthError, not ${e}`);
    const { name, errorCode, message, status, retryAfterMs, isRetryable } = e;
    return { name, errorCode, message, status, retryAfterMs, isRetryable };
  }
}

async function inWorkerd(endpoint, query = "") {
  const res = await worker.dispatchFetch(`http://worker/?endpoint=${encodeURIComponent(endpoint)}${query}`);
  return res.json();
}

for (const fault of Object.keys(EXPECTED)) {
  test(`fault in Node: ${fault}`, LIMIT, async () => {
    const run = randomUUID();
    const outcome = await inNode(nodeApp(server.endpoint(run, fault)));
    checkOutcome(assert, fault, outcome, server.count(run, fault));
    assert.deepEqual(server.leaks, [], "nothing reached another path (a followed redirect would)");
  });
  test(`fault in workerd: ${fault}`, LIMIT, async () => {
    const run = randomUUID();
    const outcome = await inWorkerd(server.endpoint(run, fault));
    checkOutcome(assert, fault, outcome, server.count(run, fault));
    assert.deepEqual(server.leaks, [], "nothing reached another path (a followed redirect would)");
  });
}

test("a gzip bomb is read as a stream and given up past the cap, whatever Content-Length says (issue 13)", LIMIT, async () => {
  const run = randomUUID();
  let inflated = 0;
  // The same fetch, with the inflated body counted as the client pulls it.
  const counting = async (url, init) => {
    const res = await fetch(url, init);
    const counter = new TransformStream({ transform(chunk, c) { inflated += chunk.byteLength; c.enqueue(chunk); } });
    return new Response(res.body.pipeThrough(counter), { status: res.status, headers: res.headers });
  };
  const app = new ConfidentialClientApplication({
    auth: { clientId: "fault-client", tokenEndpoint: server.endpoint(run, "gzip-bomb"), clientSecret: "fault-secret" },
    system: { ...SYSTEM, fetch: counting },
  });
  checkOutcome(assert, "gzip-bomb", await inNode(app), server.count(run, "gzip-bomb"));
  assert.ok(inflated < 4 * 65536, `read ${inflated} bytes of a 60 MiB body`);
});

test("inside a Retry-After window, later calls fail fast without a request, in Node and in workerd", LIMIT, async () => {
  const run = randomUUID();
  const endpoint = server.endpoint(run, "429-after-120s");
  const app = nodeApp(endpoint);
  await inNode(app);
  const node = await inNode(app);
  assert.equal(node.name, "ThrottledError");
  assert.match(node.message, /no token request was made$/);
  assert.ok(node.retryAfterMs > 0 && node.retryAfterMs <= 120_000);
  await inWorkerd(endpoint);
  const edge = await inWorkerd(endpoint);
  assert.equal(edge.name, "ThrottledError");
  assert.match(edge.message, /no token request was made$/);
  assert.equal(server.count(run, "429-after-120s"), 2, "one request from Node, one from workerd");
});

test("the window travels through the store: another app backs off too (Node, FakeKv)", LIMIT, async () => {
  const run = randomUUID();
  const endpoint = server.endpoint(run, "429-after-120s");
  const kv = new FakeKv();
  const first = await inNode(nodeApp(endpoint, { cache: { store: kv } }));
  assert.equal(first.name, "ThrottledError");
  await kv.settled();
  // In the entry's place, where a load reads it (one read), and in the failure record.
  const keys = [...kv.map.keys()];
  assert.equal(keys.length, 2, `window stored: ${keys}`);
  assert.ok(keys.some((k) => k.endsWith(":outcome")) && keys.some((k) => /^entra-edge:[0-9a-f]{64}$/.test(k)), `${keys}`);
  const reads = kv.count("get");
  const other = await inNode(nodeApp(endpoint, { cache: { store: kv } }));
  assert.equal(other.name, "ThrottledError");
  assert.match(other.message, /no token request was made$/);
  assert.equal(server.count(run, "429-after-120s"), 1);
  assert.equal(kv.count("get") - reads, 1, "the other app read the entry's key only");
});

test("the window travels through KV: a new workerd instance backs off too", LIMIT, async () => {
  const run = randomUUID();
  const endpoint = server.endpoint(run, "429-after-120s");
  const kvPersist = await mkdtemp(join(tmpdir(), "entra-edge-kv-"));
  const first = startWorker(bundle, { kvPersist });
  try {
    assert.equal((await inWorkerdOf(first, endpoint)).name, "ThrottledError");
    // The write goes through waitUntil; wait until KV has it.
    const kv = await first.getKVNamespace("TOKEN_CACHE");
    // Both writes: the window in the entry's place (what a load reads) and the failure record.
    await until(async () => (await kv.list()).keys.length === 2, "the window reaches KV");
  } finally {
    await first.dispose();
  }
  const second = startWorker(bundle, { kvPersist });
  try {
    const other = await inWorkerdOf(second, endpoint);
    assert.equal(other.name, "ThrottledError");
    assert.match(other.message, /no token request was made$/);
    assert.equal(server.count(run, "429-after-120s"), 1);
  } finally {
    await second.dispose();
  }
});

async function inWorkerdOf(mf, endpoint) {
  return (await mf.dispatchFetch(`http://worker/?kv=1&endpoint=${encodeURIComponent(endpoint)}`)).json();
}

test("an outage: a still-valid cached token is served at once, without waiting out a back-off", LIMIT, async () => {
  const run = randomUUID();
  let now = Date.now();
  const logs = [];
  const app = new ConfidentialClientApplication({
    auth: { clientId: "fault-client", tokenEndpoint: server.endpoint(run, "200-then-reset"), clientSecret: "fault-secret" },
    system: { ...SYSTEM, now: () => now, logger: (level, message) => logs.push([level, message]) },
  });
  const first = await app.acquireTokenByClientCredential({ scopes: ["api"] });
  now += 3_400_000; // 3600 s token, 300 s buffer: not served normally, 200 s still valid
  const served = await app.acquireTokenByClientCredential({ scopes: ["api"] });
  assert.equal(served.accessToken, first.accessToken);
  assert.equal(server.count(run, "200-then-reset"), 2, "one failed attempt, no retry");
  assert.ok(logs.some(([, m]) => /not retried: a cached token that is still valid is served instead/.test(m)), JSON.stringify(logs));
});
