// The package in the real Workers runtime (workerd via Miniflare): a Worker bundled as wrangler
// would, acquiring from a loopback Entra-like endpoint, with the KV namespace.
// Node only as a host (Miniflare); the same Worker in the Edge runtime is edge.test.mjs.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { until } from "./support/until.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const SCOPE = "https://graph.microsoft.com/.default";
let fake;
let bundle;
before(async () => {
  fake = await startEntraFake();
  bundle = await bundleWorker(fileURLToPath(new URL("./workers/token-worker.js", import.meta.url)));
});
after(() => fake.close());

const bindings = () => ({ CLIENT_ID, CLIENT_SECRET: SECRET, AUTHORITY: `${fake.url}/${TENANT}`, SCOPE });

/** Holds token responses until released, so concurrent requests truly overlap. */
function holdTokenResponses() {
  let release;
  const gate = new Promise((r) => (release = r));
  fake.respondWith(async () => {
    await gate;
    return undefined; // then the default (successful) behaviour
  });
  return () => {
    release();
  };
}

test("50 concurrent requests make one token request; a new instance over the same KV reads the store", async () => {
  const kvPersist = await mkdtemp(join(tmpdir(), "entra-edge-kv-"));
  const mf = startWorker(bundle, { bindings: bindings(), kvPersist });
  try {
    const n = fake.requests.length;
    const release = holdTokenResponses();
    const responses = Promise.all(Array.from({ length: 50 }, () => mf.dispatchFetch("http://worker/token").then((r) => r.json())));
    // The single token request is in flight (and held) while all 50 are waiting.
    await until(() => fake.requests.length > n, "the token request reaches the fake");
    release();
    const bodies = await responses;
    fake.respondWith(undefined);
    assert.equal(fake.requests.length, n + 1, "one token request for 50 concurrent requests");
    assert.ok(bodies.every((b) => b.accessToken === bodies[0].accessToken && b.tokenSource === "identityProvider"), JSON.stringify(bodies[0]));
    const warm = await (await mf.dispatchFetch("http://worker/token")).json();
    assert.equal(warm.tokenSource, "memory");
  } finally {
    await mf.dispose();
  }
  const second = startWorker(bundle, { bindings: bindings(), kvPersist });
  try {
    const n = fake.requests.length;
    const fromStore = await (await second.dispatchFetch("http://worker/token")).json();
    assert.equal(fromStore.tokenSource, "store");
    assert.equal(fake.requests.length, n);
  } finally {
    await second.dispose();
  }
});

test("the request that started the token fetch finishes first; the others still get the token", async () => {
  const mf = startWorker(bundle, { bindings: bindings() });
  try {
    const n = fake.requests.length;
    const release = holdTokenResponses();
    const starter = await (await mf.dispatchFetch("http://worker/start")).json();
    assert.deepEqual(starter, { started: true }, "the starting request has already answered");
    await until(() => fake.requests.length > n, "the token request reaches the fake");
    const waiting = Promise.all(Array.from({ length: 10 }, () => mf.dispatchFetch("http://worker/token?bare=1").then((r) => r.json())));
    release();
    const bodies = await waiting;
    fake.respondWith(undefined);
    assert.equal(fake.requests.length, n + 1);
    assert.ok(bodies.every((b) => b.accessToken && !b.error), JSON.stringify(bodies));
  } finally {
    await mf.dispose();
  }
});

test("a flight whose request ended without waitUntil does not hang its followers", async () => {
  // workerd cancels the starter's work when it answers (wherever it is: fetch or store read);
  // followers wait the deadline (all attempts) plus a margin, then one of them takes over.
  const mf = startWorker(bundle, { bindings: { ...bindings(), TIMEOUT_MS: "1000", DEADLINE_MS: "2000", NO_STORE: "1" } });
  try {
    const n = fake.requests.length;
    let releaseFirst;
    const firstHeld = new Promise((r) => (releaseFirst = r));
    let seen = 0;
    fake.respondWith(async () => (seen++ === 0 ? (await firstHeld, undefined) : undefined));
    assert.deepEqual(await (await mf.dispatchFetch("http://worker/start?bare=1")).json(), { started: true });
    const bodies = await Promise.all(Array.from({ length: 5 }, () => mf.dispatchFetch("http://worker/token?bare=1").then((r) => r.json())));
    releaseFirst();
    fake.respondWith(undefined);
    assert.ok(bodies.every((b) => b.accessToken && b.accessToken === bodies[0].accessToken), JSON.stringify(bodies));
    const made = fake.requests.length - n;
    assert.ok(made === 1 || made === 2, `the cancelled request (if it got out) and one takeover: ${made}`);
  } finally {
    await mf.dispose();
  }
});

test("errors cross into the Worker as AuthError classes", async () => {
  const mf = startWorker(bundle, { bindings: { ...bindings(), CLIENT_SECRET: "wrong" } });
  try {
    const res = await mf.dispatchFetch("http://worker/token");
    assert.equal(res.status, 502);
    const body = await res.json();
    assert.equal(body.name, "ServerError");
    assert.equal(body.error, "invalid_client");
    assert.match(body.message, /AADSTS7000215/);
  } finally {
    await mf.dispose();
  }
});

test("the minified Worker bundle keeps its exported classes' names (a chain labels its sources by them)", async () => {
  const mf = startWorker(bundle, { bindings: bindings() });
  try {
    const names = await (await mf.dispatchFetch("http://worker/names")).json();
    const classes = names.filter(([name]) => /^[A-Z]/.test(name));
    assert.ok(classes.some(([name]) => name === "ChainedTokenCredential") && classes.length >= 12, JSON.stringify(names));
    for (const [name, seen] of classes) assert.equal(seen, name);
  } finally {
    await mf.dispose();
  }
});
