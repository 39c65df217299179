// Serving through identity-provider trouble: stale-if-error and the local Retry-After window.
// The clock is injected; nothing sleeps.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ConfidentialClientApplication, ThrottledError } from "entra-edge";
import { CLIENT_ID, SECRET, TENANT, startEntraFake, throttled } from "./support/entra-fake.mjs";
import { until } from "./support/until.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
let fake;
before(async () => (fake = await startEntraFake({ expiresIn: 400 })));
after(() => fake.close());

function clockedApp(logs = []) {
  const clock = { now: Date.now() };
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    // One attempt per call: retries are faults.test.mjs's subject.
    system: { maxRetries: 0, now: () => clock.now, logger: (level, message) => logs.push([level, message]) },
  });
  return { app, clock };
}

test("stale-if-error: inside the expiry buffer, a failing identity provider gets the still-valid token served", async () => {
  const logs = [];
  const { app, clock } = clockedApp(logs);
  const first = await app.acquireTokenByClientCredential({ scopes: GRAPH });
  clock.now += 200_000; // 400 s token, 300 s buffer: no longer served normally, 200 s still valid
  fake.respondWith(() => ({ status: 503, headers: {}, body: "Service Unavailable" }));
  try {
    const served = await app.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(served.accessToken, first.accessToken);
    assert.equal(served.tokenSource, "memory");
    assert.ok(logs.some(([l, m]) => l === "warning" && /still valid because the token request failed/.test(m)), JSON.stringify(logs));
    await assert.rejects(app.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }), /HTTP 503/, "skipCache asked for a new token");
  } finally {
    fake.respondWith(undefined);
  }
  const recovered = await app.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.notEqual(recovered.accessToken, first.accessToken);
  clock.now += 185_000; // the new token (issued at +200 s) has 215 s left: inside the buffer, still valid
  fake.respondWith(() => ({ status: 503, headers: {}, body: "Service Unavailable" }));
  try {
    const again = await app.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(again.accessToken, recovered.accessToken, "the newer token, 215 s left, is served");
  } finally {
    fake.respondWith(undefined);
  }
});

test("Retry-After opens a window: later calls fail fast with no request until it closes", async () => {
  const { app, clock } = clockedApp();
  fake.respondWith(() => throttled(60));
  try {
    await assert.rejects(app.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
      assert.ok(e instanceof ThrottledError);
      assert.equal(e.status, 429);
      assert.equal(e.retryAfterMs, 60_000);
      return true;
    });
    const n = fake.requests.length;
    clock.now += 20_000;
    await assert.rejects(app.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
      assert.ok(e instanceof ThrottledError);
      assert.equal(e.errorCode, "throttled");
      assert.equal(e.retryAfterMs, 40_000);
      assert.match(e.message, /no token request was made/);
      return true;
    });
    assert.equal(fake.requests.length, n, "refused locally");
  } finally {
    fake.respondWith(undefined);
  }
  clock.now += 40_000;
  const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(r.tokenSource, "identityProvider");
});

// system.deadlineMs bounds the caller's whole wait: steps that never settle (issue 13).
test("a store whose get never settles is skipped within the deadline; the token comes from the identity provider", async () => {
  const logs = [];
  const stuck = { get: () => new Promise(() => {}), put: async () => {}, delete: async () => {} };
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    cache: { store: stuck },
    system: { timeoutMs: 1000, deadlineMs: 1000, logger: (level, message) => logs.push([level, message]) },
  });
  const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(r.tokenSource, "identityProvider");
  const skipped = logs.filter(([l, m]) => l === "warning" && /cache\.store\.get did not answer within 250 ms/.test(m));
  assert.equal(skipped.length, 1, `the entry read only: the store's one share is spent (issue 20.1): ${JSON.stringify(logs)}`);
});

test("issue 20.3: a system.fetch that ignores init.signal, or a body that never ends, settles at the deadline", async () => {
  for (const [what, fetch] of [
    ["never settles", () => new Promise(() => {})],
    ["body never ends", async () => new Response(new ReadableStream({ start: (c) => c.enqueue(new TextEncoder().encode("{")) }), { status: 200 })],
  ]) {
    const app = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
      system: { fetch, timeoutMs: 200, deadlineMs: 300, maxRetries: 0 },
    });
    // A caller and a follower sharing the flight both settle.
    const calls = [app.acquireTokenByClientCredential({ scopes: GRAPH }), app.acquireTokenByClientCredential({ scopes: GRAPH })];
    for (const call of calls) {
      await assert.rejects(call, (e) => {
        assert.equal(e.name, "NetworkError", what);
        assert.equal(e.errorCode, "timeout", what);
        assert.match(e.message, /did not answer within 200 ms/, what);
        return true;
      });
    }
  }
});

test("an assertion callback that never settles fails at the deadline with a timeout, no request sent", async () => {
  const n = fake.requests.length;
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientAssertion: () => new Promise(() => {}) },
    system: { timeoutMs: 1000, deadlineMs: 1000 },
  });
  await assert.rejects(app.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
    assert.equal(e.name, "NetworkError");
    assert.equal(e.errorCode, "timeout");
    assert.match(e.message, /^the auth\.clientAssertion callback did not finish within the (1000|99\d) ms left of system\.deadlineMs/);
    return true;
  });
  assert.equal(fake.requests.length, n);
});

test("a slow plain load that finishes after a claims re-acquisition never brings the revoked token back (issue 13)", async () => {
  const kvValues = new Map();
  const store = { get: async (k) => kvValues.get(k) ?? null, put: async (k, v) => void kvValues.set(k, v), delete: async (k) => void kvValues.delete(k) };
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    cache: { store },
  });
  // The plain load's answer is held until the claims token has been issued and cached.
  let releaseSlow;
  const slowHeld = new Promise((r) => (releaseSlow = r));
  let sawPlain;
  const plainSent = new Promise((r) => (sawPlain = r));
  fake.respondWith(async (req) => {
    if (req.form.claims) return undefined;
    sawPlain();
    await slowHeld;
    return { status: 200, body: { token_type: "Bearer", expires_in: 3599, access_token: "revoked-token" } };
  });
  try {
    const slow = app.acquireTokenByClientCredential({ scopes: GRAPH });
    await plainSent;
    const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: "1700000000" } } });
    const fresh = await app.acquireTokenByClientCredential({ scopes: GRAPH, claims });
    assert.equal(fresh.tokenSource, "identityProvider");
    assert.notEqual(fresh.accessToken, "revoked-token");
    releaseSlow();
    const late = await slow;
    assert.equal(late.accessToken, fresh.accessToken, "the slow load's caller gets the newer token");
    const next = await app.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(next.accessToken, fresh.accessToken, "memory keeps the newer token");
    const other = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
      cache: { store },
    });
    const fromStore = await other.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(fromStore.tokenSource, "store");
    assert.equal(fromStore.accessToken, fresh.accessToken, "the store keeps the newer token");
  } finally {
    fake.respondWith(undefined);
  }
});

test("a stalled-flight takeover: the old flight settling late does not remove its replacement (issue 13)", async () => {
  let now = Date.now();
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    system: { maxRetries: 0, now: () => now },
  });
  const held = [];
  let holding = true;
  fake.respondWith(() => (holding ? new Promise((resolve) => held.push(() => resolve(undefined))) : undefined));
  const n = fake.requests.length;
  // skipCache: every call is a load sharing one flight key, never a memory hit.
  const call = () => app.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true });
  try {
    const a = call();
    await until(() => held.length === 1, "the first flight's request reaches the fake");
    // Past the first flight's deadline (30 s) plus the margin, counted from its start: a
    // follower now calls it stalled and starts a replacement.
    now += 60_000;
    const b = call();
    await until(() => held.length === 2, "the replacement's request reaches the fake");
    holding = false;
    held[0]();
    await a;
    // The late first flight must have removed only itself: this call follows the replacement.
    const c = call();
    held[1]();
    const [rb, rc] = await Promise.all([b, c]);
    assert.equal(rc.accessToken, rb.accessToken, "the third call shared the replacement");
    assert.equal(fake.requests.length - n, 2, "two token requests: the stalled one and its replacement");
  } finally {
    fake.respondWith(undefined);
  }
});

test("first hour (issue 20): a URL fetch would refuse is a configuration error at construction; a host that does not resolve fails once, fast", async () => {
  for (const authority of ["https://login.microsoftonline.com:99999/t", "https://exa%mple.com/t", "https://[zz::1]/t"]) {
    assert.throws(() => new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority, clientSecret: SECRET } }), (e) => {
      assert.equal(e.name, "ClientConfigurationError");
      assert.equal(e.errorCode, "invalid_authority");
      return true;
    });
  }
  // Issue 20.6: a host that merely starts with "127." is not loopback: http is refused.
  for (const authority of ["http://127.attacker.example/t", "http://127.0.0.1.nip.io/t"]) {
    assert.throws(() => new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority, clientSecret: SECRET } }), (e) => e.errorCode === "insecure_url");
  }
  // .invalid never resolves (RFC 6761): not retried, the host named.
  const logs = [];
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: "https://login.entra-edge.invalid/t", clientSecret: SECRET },
    system: { logger: (level, message) => logs.push([level, message]) },
  });
  await assert.rejects(app.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
    assert.equal(e.name, "NetworkError");
    assert.equal(e.errorCode, "host_not_found");
    // The cause as the runtime words it: ENOTFOUND in Node and Bun, a "dns error" in Deno.
    assert.match(e.message, /host does not resolve .*(ENOTFOUND|dns error)/);
    return true;
  });
  assert.ok(!logs.some(([, m]) => /retry 1/.test(m)), JSON.stringify(logs));
});
