// The Worker tests' cases (workerd.test.mjs) in Vercel's Edge runtime: the same handler,
// bundled and hosted as Next.js does (support/edge.mjs), with a KV-shaped store of the host
// realm. Node only as a host (edge-runtime runs inside Node).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { bundleForEdge, startEdge } from "./support/edge.mjs";
import { FakeKv } from "./support/fake-kv.mjs";
import { until } from "./support/until.mjs";

const SCOPE = "https://graph.microsoft.com/.default";
let fake;
let bundle;
before(async () => {
  fake = await startEntraFake();
  bundle = await bundleForEdge(fileURLToPath(new URL("./runtimes/token-worker-edge.js", import.meta.url)));
});
after(() => fake.close());

const startWith = (store) =>
  startEdge(bundle, { globals: { WORKER_ENV: { CLIENT_ID, CLIENT_SECRET: SECRET, AUTHORITY: `${fake.url}/${TENANT}`, SCOPE, TOKEN_CACHE: store } } });
const json = (edge, path) => edge.dispatchFetch(`http://edge${path}`).then((r) => r.json());

/** Holds token responses until released, so concurrent requests truly overlap. */
function holdTokenResponses() {
  let release;
  const gate = new Promise((r) => (release = r));
  fake.respondWith(async () => {
    await gate;
    return undefined;
  });
  return () => release();
}

test("50 concurrent requests make one token request; a new runtime over the same store reads it", async () => {
  const store = new FakeKv();
  const edge = await startWith(store);
  const n = fake.requests.length;
  const release = holdTokenResponses();
  try {
    const responses = Promise.all(Array.from({ length: 50 }, () => json(edge, "/token")));
    await until(() => fake.requests.length > n, "the token request reaches the fake");
    release();
    const bodies = await responses;
    assert.equal(fake.requests.length, n + 1, "one token request for 50 concurrent requests");
    assert.ok(bodies.every((b) => b.accessToken === bodies[0].accessToken && b.tokenSource === "identityProvider"), JSON.stringify(bodies[0]));
    assert.equal((await json(edge, "/token")).tokenSource, "memory");
  } finally {
    fake.respondWith(undefined);
  }
  await until(() => store.map.size === 1, "the sealed entry reaches the store");
  const second = await startWith(store);
  const m = fake.requests.length;
  assert.equal((await json(second, "/token")).tokenSource, "store");
  assert.equal(fake.requests.length, m);
});

test("the request that started the token fetch finishes first; the others still get the token", async () => {
  const edge = await startWith(new FakeKv());
  const n = fake.requests.length;
  const release = holdTokenResponses();
  try {
    assert.deepEqual(await json(edge, "/start"), { started: true }, "the starting request has already answered");
    await until(() => fake.requests.length > n, "the token request reaches the fake");
    const waiting = Promise.all(Array.from({ length: 10 }, () => json(edge, "/token?bare=1")));
    release();
    const bodies = await waiting;
    assert.equal(fake.requests.length, n + 1);
    assert.ok(bodies.every((b) => b.accessToken && !b.error), JSON.stringify(bodies));
  } finally {
    fake.respondWith(undefined);
  }
});

test("an identity-provider error reaches the handler as the package's error class", async () => {
  const edge = await startEdge(bundle, { globals: { WORKER_ENV: { CLIENT_ID, CLIENT_SECRET: "Wr0ng~Secret.Value_z", AUTHORITY: `${fake.url}/${TENANT}`, SCOPE, NO_STORE: "1" } } });
  const body = await json(edge, "/token");
  assert.equal(body.name, "ServerError", JSON.stringify(body));
  assert.equal(body.error, "invalid_client");
  assert.doesNotMatch(JSON.stringify(body), /Wr0ng/, "the secret is not echoed");
});
