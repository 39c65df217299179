// A store that fails must never cost more than having no store (issue 20.1): a real
// redis-server paused (SIGSTOP: the connection stays open and nothing answers) or killed
// (ioredis queues commands while it reconnects), a store that answers late, and one that
// answers nonsense. Each acquisition spends at most one store share (a quarter of
// system.deadlineMs) on the store, whatever its number of store steps, and a failure opens a
// breaker: the acquisitions after it do not touch the store at all until it cools down.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import Redis from "ioredis";
import { ConfidentialClientApplication } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { startRedis } from "./support/redis.mjs";
import { until } from "./support/until.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
const STORAGE = ["https://storage.azure.com/.default"];
const BREAKER = /^cache\.store failed or did not answer: skipping it for 30 s/;

let fake;
before(async () => (fake = await startEntraFake()));
after(() => fake.close());

/** `store` with every call counted by method name. */
function counted(store) {
  const calls = [];
  const wrapped = {};
  for (const method of ["get", "put", "delete", "lease", "release"]) {
    if (typeof store[method] === "function") {
      wrapped[method] = (...args) => {
        calls.push(method);
        return store[method](...args);
      };
    }
  }
  return { store: wrapped, calls };
}

/** An app over `store`, on a clock the test moves, logging into `logs`. */
function appOver(store, logs, clock) {
  return new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    cache: { store },
    system: { deadlineMs: 4000, timeoutMs: 2000, now: () => clock.now, logger: (level, message) => logs.push([level, message]) },
  });
}

describe("a real redis-server that stops answering (issue 20.1)", () => {
  for (const fault of ["paused (SIGSTOP)", "killed"]) {
    test(`${fault}: the first cold call spends one store step, later ones none, and all are served`, async () => {
      const redis = await startRedis();
      // ioredis's defaults: commands wait in its queue while it reconnects.
      const client = new Redis({ path: redis.socket });
      client.on("error", () => {});
      const { store, calls } = counted(new RedisStore(client));
      const logs = [];
      const clock = { now: Date.now() };
      const app = appOver(store, logs, clock);
      try {
        // Healthy first: a token through the lease, written to Redis.
        assert.equal((await app.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "identityProvider");
        await until(() => calls.includes("release"), "the lease released after the write");
        calls.length = 0;
        if (fault === "killed") await redis.kill();
        else redis.pause();

        const n = fake.requests.length;
        const cold = await app.acquireTokenByClientCredential({ scopes: STORAGE });
        assert.equal(cold.tokenSource, "identityProvider");
        assert.deepEqual(calls, ["get"], "the entry read timed out; no window read, lease or write after it");
        assert.equal(logs.filter(([, m]) => BREAKER.test(m)).length, 1, JSON.stringify(logs));

        // The breaker is open: another cold call and a refresh-free hit touch no store.
        const other = await app.acquireTokenByClientCredential({ scopes: STORAGE, tenantId: TENANT.toUpperCase(), skipCache: true });
        assert.equal(other.tokenSource, "identityProvider");
        assert.equal((await app.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");
        assert.deepEqual(calls, ["get"]);
        assert.equal(fake.requests.length - n, 2, "one token request per cold call, as without a store");
        assert.equal(logs.filter(([, m]) => BREAKER.test(m)).length, 1, "said once");

        // After the cooldown the store is tried again; a paused server that resumed answers.
        if (fault === "paused (SIGSTOP)") {
          redis.resume();
          clock.now += 30_000;
          await app.acquireTokenByClientCredential({ scopes: ["https://vault.azure.net/.default"] });
          assert.ok(calls.length > 1, "asked again after the cooldown");
          assert.ok(logs.some(([l, m]) => l === "info" && m === "cache.store answers again: using it"), JSON.stringify(logs));
        }
      } finally {
        client.disconnect();
        await redis.stop();
      }
    });
  }
});

describe("stores that answer late or wrong (issue 20.1)", () => {
  test("a store slower than its share is skipped, and the breaker opens", async () => {
    let release;
    const slow = {
      get: () => new Promise((resolve) => (release = () => resolve(null))),
      put: async () => {},
      delete: async () => {},
    };
    const { store, calls } = counted(slow);
    const logs = [];
    const app = appOver(store, logs, { now: Date.now() });
    const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
    release();
    assert.equal(r.tokenSource, "identityProvider");
    assert.deepEqual(calls, ["get"], "not written while the breaker is open");
    assert.ok(logs.some(([, m]) => /cache\.store\.get did not answer within 1000 ms/.test(m)), JSON.stringify(logs));
  });

  test("a store that answers nonsense is a miss, not a fault: it stays in use", async () => {
    const { store, calls } = counted({ get: async (k) => (k.endsWith(":outcome") ? "9999999999999" : "ee1.garbage"), put: async () => {}, delete: async () => {} });
    const logs = [];
    const app = appOver(store, logs, { now: Date.now() });
    const n = fake.requests.length;
    const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(r.tokenSource, "identityProvider");
    assert.equal(fake.requests.length - n, 1, "an unsealed window refuses nothing (issue 20.7)");
    await until(() => calls.length === 2, "the entry is written");
    // The entry only: a load reads no failure record (windows are left in the entry's place).
    assert.deepEqual(calls, ["get", "put"]);
    assert.ok(!logs.some(([, m]) => BREAKER.test(m)), JSON.stringify(logs));
  });

  test("a store whose get throws, rejects, or answers no string is logged and asked around", async () => {
    const cases = [
      [() => { throw new Error("sync boom"); }, "cache.store.get failed: sync boom"],
      [async () => { throw new Error("async boom"); }, "cache.store.get failed: async boom"],
      [async () => 42, "get returned neither a string nor null"],
      [() => ({ value: "x" }), "get returned neither a string nor null"],
    ];
    for (const [get, said] of cases) {
      const logs = [];
      const app = appOver({ get, put: async () => {}, delete: async () => {} }, logs, { now: Date.now() });
      const n = fake.requests.length;
      const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
      assert.equal(r.tokenSource, "identityProvider");
      assert.equal(fake.requests.length - n, 1);
      assert.ok(logs.some(([, m]) => m.startsWith(said)), `${said}: ${JSON.stringify(logs)}`);
    }
  });

  test("clearCache settles within system.deadlineMs when the store's delete hangs (issue 20.7)", async () => {
    const store = { get: async () => null, put: async () => {}, delete: () => new Promise(() => {}) };
    const logs = [];
    const app = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
      cache: { store },
      system: { deadlineMs: 300, timeoutMs: 300, logger: (level, message) => logs.push([level, message]) },
    });
    await app.acquireTokenByClientCredential({ scopes: GRAPH });
    await app.clearCache();
    assert.ok(logs.some(([, m]) => /cache\.store\.delete did not answer within 300 ms/.test(m)), JSON.stringify(logs));
  });
});
