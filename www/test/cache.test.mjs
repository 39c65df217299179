// The two-level cache: memory in front of a KV-shaped store. Sealed entries, single-flight,
// refresh-ahead, store failures that never fail an acquisition, and the Node store adapters.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readdir, readFile, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfidentialClientApplication } from "entra-edge";
import { FileStore, RedisStore } from "entra-edge/stores";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { FakeKv } from "./support/fake-kv.mjs";
import { startRedis } from "./support/redis.mjs";
import { until } from "./support/until.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];

let fake;
before(async () => (fake = await startEntraFake()));
after(() => fake.close());

function app({ store, now, logs, ...rest } = {}) {
  return new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    cache: { store, ...rest.cache },
    system: {
      ...(now ? { now } : {}),
      ...(logs ? { logger: (level, message) => logs.push([level, message]) } : {}),
    },
  });
}

test("a second app over the same store gets the token from the store, sealed", async () => {
  const kv = new FakeKv();
  const first = await app({ store: kv }).acquireTokenByClientCredential({ scopes: GRAPH });
  await kv.settled();
  assert.equal(kv.count("put"), 1);
  const [[key, entry]] = [...kv.map];
  assert.match(key, /^entra-edge:[0-9a-f]{64}$/);
  assert.ok(entry.value.startsWith("ee1."));
  // Sealed, not encoded: the base64url body does not decode to the token, tenant or scope either.
  const decoded = Buffer.from(entry.value.slice("ee1.".length), "base64url").toString("latin1");
  for (const hidden of [first.accessToken.slice(0, 20), first.accessToken.slice(-20), TENANT, "graph"]) {
    assert.ok(!entry.value.includes(hidden) && !decoded.includes(hidden), `${hidden} is readable in the store`);
  }
  const ttl = kv.calls.find((c) => c[0] === "put")[2];
  assert.ok(ttl > 3200 && ttl <= 3299, `expirationTtl ${ttl} = lifetime - 300 s buffer`);

  const n = fake.requests.length;
  const gets = kv.count("get");
  const second = await app({ store: kv }).acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(second.tokenSource, "store");
  assert.equal(kv.count("get"), gets + 1, "a store hit is one read (no Retry-After window read)");
  assert.equal(second.fromCache, true);
  assert.equal(second.accessToken, first.accessToken);
  assert.equal(second.expiresOn.getTime(), first.expiresOn.getTime());
  assert.equal(fake.requests.length, n, "no token request");
});

test("200 concurrent cold calls make one token request and read the store once", async () => {
  const kv = new FakeKv();
  const a = app({ store: kv });
  const n = fake.requests.length;
  const results = await Promise.all(Array.from({ length: 200 }, () => a.acquireTokenByClientCredential({ scopes: GRAPH })));
  assert.equal(fake.requests.length, n + 1);
  const reads = kv.calls.filter(([op]) => op === "get").map(([, key]) => key);
  // A Retry-After window other isolates opened would be in the entry's place: one read.
  assert.equal(reads.length, 1, JSON.stringify(reads));
  assert.ok(!reads[0].endsWith(":outcome"));
  assert.equal(new Set(results.map((r) => r.accessToken)).size, 1);
});

test("skipCache reads nothing from the store: it asks, and stores what it gets", async () => {
  const kv = new FakeKv();
  const a = app({ store: kv });
  const n = fake.requests.length;
  const r = await a.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true });
  await kv.settled();
  assert.equal(r.tokenSource, "identityProvider");
  assert.equal(fake.requests.length, n + 1);
  assert.equal(kv.count("get"), 0);
  assert.equal(kv.count("put"), 1);
  const next = await app({ store: kv }).acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(next.tokenSource, "store");
});

test("writes go through waitUntil and the caller does not wait for them", async () => {
  const kv = new FakeKv();
  kv.hold();
  const waited = [];
  const r = await app({ store: kv }).acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => waited.push(p) });
  assert.equal(r.tokenSource, "identityProvider");
  assert.equal(kv.map.size, 0, "resolved while the write is still held");
  assert.ok(waited.length >= 1);
  kv.release();
  await Promise.all(waited);
  assert.equal(kv.map.size, 1);
});

test("a value sealed under another key, tampered, or garbage is a logged miss and is overwritten", async () => {
  const kv = new FakeKv();
  await app({ store: kv, cache: { encryptionKey: "first-key-0123456789" } }).acquireTokenByClientCredential({ scopes: GRAPH });
  await kv.settled();
  const [key] = kv.map.keys();
  const sealed = kv.map.get(key).value;
  // One byte of the ciphertext flipped, the envelope otherwise intact.
  const bytes = Buffer.from(sealed.slice("ee1.".length), "base64url");
  bytes[20] ^= 1;
  const tampered = `ee1.${bytes.toString("base64url")}`;
  let offset = 0;
  for (const [label, value, encryptionKey] of [
    ["other key", sealed, "second-key-0123456789"],
    ["tampered", tampered, "first-key-0123456789"],
    ["garbage", "{\"access_token\":\"x\"}", "first-key-0123456789"],
  ]) {
    // KV allows one write per key per second: step the fake's clock past that before each case.
    offset += 2000;
    const at = Date.now() + offset;
    kv.now = () => at;
    kv.map.set(key, { value, expiresAt: at + 60_000 });
    const logs = [];
    const n = fake.requests.length;
    const r = await app({ store: kv, logs, cache: { encryptionKey } }).acquireTokenByClientCredential({ scopes: GRAPH });
    await kv.settled();
    assert.equal(r.tokenSource, "identityProvider", label);
    assert.equal(fake.requests.length, n + 1, label);
    assert.ok(logs.some(([level, m]) => level === "warning" && /stored value/.test(m)), `${label}: ${JSON.stringify(logs)}`);
    assert.notEqual(kv.map.get(key).value, value, `${label}: overwritten`);
  }
  // The untampered value opens with its own key: the cases above failed for their reason alone.
  kv.now = () => Date.now() + offset + 2000;
  kv.map.set(key, { value: sealed, expiresAt: Date.now() + 3_600_000 });
  const good = await app({ store: kv, cache: { encryptionKey: "first-key-0123456789" } }).acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(good.tokenSource, "store");
});

test("store failures never fail an acquisition and are logged", async () => {
  const kv = new FakeKv();
  kv.failGet = new Error("KV GET failed: 500");
  const logs = [];
  const r = await app({ store: kv, logs }).acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(r.tokenSource, "identityProvider");
  assert.ok(logs.some(([l, m]) => l === "warning" && m.includes("cache.store.get failed: KV GET failed: 500")), JSON.stringify(logs));
  assert.ok(logs.some(([l, m]) => l === "warning" && m.startsWith("cache.store failed or did not answer: skipping it for 30 s")), JSON.stringify(logs));
  assert.equal(kv.count("put"), 0, "a failed store is not written to while skipped");

  // A write that fails (KV's one write per second per key) is said, and is no outage.
  const writes = new FakeKv();
  writes.failPut = new Error("KV PUT failed: 429 Too Many Requests");
  const putLogs = [];
  await app({ store: writes, logs: putLogs }).acquireTokenByClientCredential({ scopes: GRAPH });
  await writes.settled();
  assert.ok(putLogs.some(([l, m]) => l === "warning" && m.includes("429 Too Many Requests")), JSON.stringify(putLogs));
  assert.ok(!putLogs.some(([, m]) => m.startsWith("cache.store failed or did not answer")), JSON.stringify(putLogs));
});

test("tokens with less servable life than KV's 60 s floor are not written", async () => {
  const short = await startEntraFake({ expiresIn: 350 });
  try {
    const kv = new FakeKv();
    const a = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${short.url}/${TENANT}`, clientSecret: SECRET },
      cache: { store: kv },
    });
    await a.acquireTokenByClientCredential({ scopes: GRAPH });
    await kv.settled();
    assert.equal(kv.count("put"), 0, "350 s - 300 s buffer = 50 s < 60 s");
  } finally {
    await short.close();
  }
});

test("past refreshOn: the cached token at once, exactly one background refresh", async () => {
  let now = Date.now();
  const refreshing = await startEntraFake({ expiresIn: 86399, refreshIn: 43199, now: () => now });
  try {
    const a = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${refreshing.url}/${TENANT}`, clientSecret: SECRET },
      system: { now: () => now },
    });
    const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.ok(first.refreshOn.getTime() <= now + 43_199_000 && first.refreshOn.getTime() >= now + 43_199_000 - 300_000, "jittered at most 5 min earlier");
    now += 43_200_000;
    const waited = [];
    const served = await Promise.all(Array.from({ length: 20 }, () => a.acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => waited.push(p) })));
    assert.ok(served.every((r) => r.accessToken === first.accessToken && r.tokenSource === "memory"));
    await Promise.all(waited);
    assert.equal(refreshing.requests.length, 2, "one initial request, one background refresh");
    const after = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.notEqual(after.accessToken, first.accessToken);
    assert.equal(after.tokenSource, "memory");
  } finally {
    await refreshing.close();
  }
});

test("a failed background refresh keeps serving the valid token and backs off", async () => {
  let now = Date.now();
  const flaky = await startEntraFake({ expiresIn: 86399, refreshIn: 43199, now: () => now });
  try {
    const logs = [];
    const a = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${flaky.url}/${TENANT}`, clientSecret: SECRET },
      // Retries are faults.test.mjs's subject; here one failed attempt is the refresh failing.
      system: { maxRetries: 0, now: () => now, logger: (level, message) => logs.push([level, message]) },
    });
    const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    flaky.respondWith(() => ({ status: 503, headers: {}, body: "unavailable" }));
    now += 43_200_000;
    const waited = [];
    const served = await a.acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => waited.push(p) });
    await Promise.all(waited);
    assert.equal(served.accessToken, first.accessToken);
    assert.ok(logs.some(([l, m]) => l === "warning" && /background refresh failed/.test(m)));
    const again = await a.acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => waited.push(p) });
    await Promise.all(waited);
    assert.equal(again.accessToken, first.accessToken);
    assert.equal(flaky.requests.length, 2, "no second refresh inside the back-off window");
    // 29 s later: still inside the 30 s back-off.
    now += 29_000;
    await a.acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => waited.push(p) });
    await Promise.all(waited);
    assert.equal(flaky.requests.length, 2, "29 s after the failure: no refresh yet");
    // Past 30 s: the refresh resumes, and once it succeeds the new token is served.
    flaky.respondWith(undefined);
    now += 2_000;
    const resumed = await a.acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => waited.push(p) });
    assert.equal(resumed.accessToken, first.accessToken, "served at once while the refresh runs");
    await Promise.all(waited);
    assert.equal(flaky.requests.length, 3, "the refresh resumed after the back-off");
    const refreshed = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.notEqual(refreshed.accessToken, first.accessToken);
  } finally {
    await flaky.close();
  }
});

test("memory hits: a fresh result object and correlation id each time; newer tokens replace older ones", async () => {
  let now = Date.now();
  const a = app({ now: () => now });
  const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  const hit = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(hit.tokenSource, "memory");
  assert.equal(hit.fromCache, true);
  assert.equal(hit.accessToken, first.accessToken);
  assert.ok(!("serveUntil" in hit), "internal fields stay internal");
  hit.scopes.push("mutated");
  hit.expiresOn.setTime(0);
  const again = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.deepEqual(again.scopes, first.scopes, "callers cannot reach the cached copy");
  assert.equal(again.expiresOn.getTime(), first.expiresOn.getTime());
  assert.notEqual(again.correlationId, hit.correlationId);
  assert.match(again.correlationId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const explicit = await a.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: false, claims: undefined });
  assert.equal(explicit.tokenSource, "memory");
  const mine = await a.acquireTokenByClientCredential({ scopes: GRAPH, correlationId: "mine-1" });
  assert.equal(mine.correlationId, "mine-1");
  assert.equal(mine.tokenSource, "memory");

  const skipped = await a.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true });
  assert.notEqual(skipped.accessToken, first.accessToken);
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).accessToken, skipped.accessToken, "the newer token is served");

  const n = fake.requests.length;
  now = skipped.expiresOn.getTime() - 299_000; // inside the 300 s expiry buffer
  const renewed = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(renewed.tokenSource, "identityProvider", "not served from memory inside the buffer");
  assert.equal(fake.requests.length, n + 1);
});

/** An app whose token requests a stub fetch answers; `issued` lists the scope of each. */
function scopeRecordingApp(cache = {}) {
  const issued = [];
  const a = new ConfidentialClientApplication({
    auth: { clientId: "c", tokenEndpoint: "https://idp.example/token", clientSecret: "s" },
    cache,
    system: {
      fetch: async (url, init) => {
        const scope = new URLSearchParams(init.body).get("scope");
        issued.push(scope);
        return Response.json({ token_type: "Bearer", expires_in: 3600, access_token: `token-for-${scope}-${issued.length}` });
      },
    },
  });
  return { a, issued };
}

test("distinct requests never share a memory entry: [\"a b\"] is not [\"a\", \"b\"], unknown names are refused (issue 13)", async () => {
  const { a, issued } = scopeRecordingApp();
  const two = await a.acquireTokenByClientCredential({ scopes: ["a", "b"] });
  assert.equal(two.accessToken, "token-for-a b-1");
  assert.equal((await a.acquireTokenByClientCredential({ scopes: ["a", "b"] })).tokenSource, "memory");
  await assert.rejects(a.acquireTokenByClientCredential({ scopes: ["a b"] }), (e) => e.errorCode === "invalid_scope" && /scopes\[0\]/.test(e.message));
  await assert.rejects(a.acquireTokenByClientCredential({ scopes: ["a", "b"], forceRefresh: undefined }), (e) => e.errorCode === "invalid_request" && /unknown option forceRefresh/.test(e.message));
  assert.deepEqual(issued, ["a b"], "one token request, for the two scopes");
  // The memo keeps other spellings by their JSON, apart from single scopes: a scope spelled as
  // that JSON is another request.
  const forged = await a.acquireTokenByClientCredential({ scopes: [JSON.stringify([["a", "b"], null, null, null])] }).then((r) => r.accessToken, (e) => e.errorCode);
  assert.notEqual(forged, two.accessToken);
});

test("a request's scopes array changed in place between calls is read afresh", async () => {
  const { a } = scopeRecordingApp();
  const scopes = ["a"];
  assert.equal((await a.acquireTokenByClientCredential({ scopes })).accessToken, "token-for-a-1");
  scopes[0] = "b";
  const request = { scopes };
  assert.equal((await a.acquireTokenByClientCredential(request)).accessToken, "token-for-b-2");
  scopes[0] = "a";
  const again = await a.acquireTokenByClientCredential(request);
  assert.deepEqual([again.accessToken, again.tokenSource, again.scopes], ["token-for-a-1", "memory", ["a"]]);
  request.correlationId = "mine";
  assert.equal((await a.acquireTokenByClientCredential(request)).correlationId, "mine", "a name added to the same object is read too");
});

test("cache.maxEntries bounds the memory level: the least recently used goes, and comes back from the store", async () => {
  const kv = new FakeKv();
  const { a, issued } = scopeRecordingApp({ store: kv, maxEntries: 2 });
  const get = async (scope) => (await a.acquireTokenByClientCredential({ scopes: [scope] })).tokenSource;
  assert.deepEqual([await get("a"), await get("b"), await get("a")], ["identityProvider", "identityProvider", "memory"]);
  assert.equal(await get("c"), "identityProvider", "a third entry evicts b, the least recently used");
  assert.equal(await get("a"), "memory");
  assert.equal(await get("c"), "memory");
  await kv.settled();
  assert.equal(await get("b"), "store", "the evicted token is still in the store");
  assert.deepEqual(issued, ["a", "b", "c"]);
  assert.throws(
    () => new ConfidentialClientApplication({ auth: { clientId: "c", tokenEndpoint: "https://idp.example/token", clientSecret: "s" }, cache: { maxEntries: 0 } }),
    /^ClientConfigurationError: cache\.maxEntries must be a whole number from 1 to 100000000$/,
  );
});

test("clearCache empties memory and deletes this app's store entries", async () => {
  const kv = new FakeKv();
  const a = app({ store: kv });
  await a.acquireTokenByClientCredential({ scopes: GRAPH });
  await kv.settled();
  assert.equal(kv.map.size, 1);
  await a.clearCache();
  assert.equal(kv.map.size, 0);
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "identityProvider");
});

test("memory: false reads the store every time", async () => {
  const kv = new FakeKv();
  const a = app({ store: kv, cache: { memory: false } });
  await a.acquireTokenByClientCredential({ scopes: GRAPH });
  await kv.settled();
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "store");
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "store");
});

describe("FileStore with real files", () => {
  test("shares tokens between apps, files are 0600 and sealed", async () => {
    const dir = join(await mkdtemp(join(tmpdir(), "entra-edge-")), "tokens");
    const first = await app({ store: new FileStore(dir) }).acquireTokenByClientCredential({ scopes: GRAPH });
    const files = await waitForFiles(dir);
    assert.equal(files.length, 1);
    assert.equal((await stat(join(dir, files[0]))).mode & 0o777, 0o600);
    assert.ok(!(await readFile(join(dir, files[0]), "utf8")).includes(first.accessToken.slice(0, 20)));
    const second = await app({ store: new FileStore(dir) }).acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(second.tokenSource, "store");
    assert.equal(second.accessToken, first.accessToken);
  });

  test("expired and damaged files read as misses; put refuses KV-invalid TTLs", async () => {
    const dir = await mkdtemp(join(tmpdir(), "entra-edge-"));
    let now = 0;
    const store = new FileStore(dir, { now: () => now });
    await store.put("k", "v", { expirationTtl: 60 });
    assert.equal(await store.get("k"), "v");
    now = 60_000;
    assert.equal(await store.get("k"), null);
    await assert.rejects(store.put("k", "v", { expirationTtl: 59 }), /at least 60/);
    await store.delete("k");
    await store.delete("k");
    assert.equal(await store.get("missing"), null);
  });
});

/** Resolves with the directory's files once the (background) write has landed. */
async function waitForFiles(dir) {
  let done = [];
  await until(async () => (done = (await readdir(dir).catch(() => [])).filter((f) => f.endsWith(".json"))).length > 0, "the file write lands");
  return done;
}

describe("RedisStore with a real redis-server", () => {
  let redis;
  let client;
  before(async () => {
    redis = await startRedis();
    const { default: Redis } = await import("ioredis");
    client = new Redis({ path: redis.socket, lazyConnect: true });
    await client.connect();
  });
  after(async () => {
    await client?.quit();
    await redis?.stop();
  });

  test("a fleet of daemons shares one token, with Redis enforcing the TTL", async () => {
    const store = new RedisStore(client);
    const first = await app({ store }).acquireTokenByClientCredential({ scopes: GRAPH });
    let keys = [];
    // The token's entry, not its lease (RedisStore leases too: fleet.test.mjs).
    await until(async () => (keys = (await client.keys("entra-edge:*")).filter((k) => /^entra-edge:[0-9a-f]{64}$/.test(k))).length > 0, "the Redis write lands");
    const ttl = await client.ttl(keys[0]);
    assert.ok(ttl > 3200 && ttl <= 3299, `ttl ${ttl}`);
    const n = fake.requests.length;
    const second = await app({ store: new RedisStore(client) }).acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(second.tokenSource, "store");
    assert.equal(second.accessToken, first.accessToken);
    assert.equal(fake.requests.length, n);
    assert.throws(() => new RedisStore({}), /must have get\(\)/);
  });
});

test("skipCache never joins a load that answers from the store", async () => {
  const kv = new FakeKv();
  const writes = [];
  await app({ store: kv }).acquireTokenByClientCredential({ scopes: GRAPH, waitUntil: (p) => writes.push(p) });
  await Promise.all(writes);
  const fresh = app({ store: kv });
  const n = fake.requests.length;
  const [plain, skipped] = await Promise.all([
    fresh.acquireTokenByClientCredential({ scopes: GRAPH }),
    fresh.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true }),
  ]);
  assert.equal(plain.tokenSource, "store");
  assert.equal(skipped.tokenSource, "identityProvider");
  assert.equal(fake.requests.length, n + 1);
});

test("issue 20.4: after a claims re-acquisition, no spelling of the request is served the revoked token", async () => {
  const a = app();
  const spellings = [{ scopes: GRAPH }, { scopes: GRAPH, tenantId: TENANT.toUpperCase() }, { scopes: GRAPH, authority: `${fake.url}/${TENANT.toUpperCase()}` }];
  const revoked = (await a.acquireTokenByClientCredential(spellings[0])).accessToken;
  for (const request of spellings) {
    const r = await a.acquireTokenByClientCredential(request);
    assert.equal(r.accessToken, revoked);
  }
  // CAE: the API refused the token with a claims challenge; the app re-acquires with the claims.
  const challenge = JSON.stringify({ access_token: { nbf: { essential: true, value: "1700000000" } } });
  const fresh = await a.acquireTokenByClientCredential({ ...spellings[1], claims: challenge });
  assert.equal(fresh.tokenSource, "identityProvider");
  assert.notEqual(fresh.accessToken, revoked);
  for (const request of spellings) {
    const r = await a.acquireTokenByClientCredential(request);
    assert.equal(r.accessToken, fresh.accessToken, `${JSON.stringify(request)} is served the new token`);
    assert.equal(r.tokenSource, "memory");
  }
});

test("a store that calls back into the client while it is read joins the flight it is part of", async () => {
  // The store's get runs inside the acquisition it serves; a caller it starts there must follow
  // that flight (one token request), and both settle.
  const kv = new FakeKv();
  let inner;
  const store = {
    get(key) {
      inner ??= client.acquireTokenByClientCredential({ scopes: GRAPH });
      return kv.get(key);
    },
    put: (...args) => kv.put(...args),
    delete: (key) => kv.delete(key),
  };
  const client = app({ store, cache: { memory: false } });
  const n = fake.requests.length;
  const outer = await client.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal((await inner).accessToken, outer.accessToken);
  assert.equal(fake.requests.length, n + 1);
});
