// Serving through identity-provider trouble: stale-if-error and the local Retry-After window.
// The clock is injected; nothing sleeps.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { ConfidentialClientApplication, ThrottledError } from "entra-edge";
import { CLIENT_ID, SECRET, TENANT, startEntraFake, throttled } from "./support/entra-fake.mjs";

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
