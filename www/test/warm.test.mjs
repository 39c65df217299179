// Issue 23: tokens kept warm off the request path (refreshDue, cache.keepWarm, the example
// Worker's Cron Trigger in workerd, system.refreshTimer), the counters of stats(), and the
// token self-check, against the local Entra fake (its tokens are JWTs with tid and aud).
// Node only: it hosts workerd (Miniflare) and the Edge runtime, spawns Node, Deno and Bun
// programs and a redis-server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { RedisStore } from "entra-edge/stores";
import { ClientConfigurationError, ClientSecretCredential, ConfidentialClientApplication, EnvironmentCredential, ManagedIdentityCredential, ServerError } from "entra-edge";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { FakeKv } from "./support/fake-kv.mjs";
import { startManagedIdentityFake } from "./support/imds-fake.mjs";
import { startRedis } from "./support/redis.mjs";
import { closeServer, listen } from "./support/listen.mjs";
import { until } from "./support/until.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";
import { bundleForEdge, startEdge } from "./support/edge.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
const VAULT = ["https://vault.azure.net/.default"];
const OTHER_TENANT = "0b7e3d4c-1a2b-4c3d-8e9f-a0b1c2d3e4f5";
const MINUTE = 60_000;
// Tokens live an hour and are due for refresh after 30 minutes (less up to 3 minutes of jitter).
const EXPIRES_IN = 3600;
const REFRESH_IN = 1800;

let clock = 1_800_000_000_000;
const now = () => clock;
let fake;
before(async () => {
  fake = await startEntraFake({
    expiresIn: EXPIRES_IN,
    refreshIn: REFRESH_IN,
    apps: [
      { tenant: TENANT, clientId: CLIENT_ID, secret: SECRET },
      { tenant: OTHER_TENANT, clientId: CLIENT_ID, secret: SECRET },
    ],
  });
});
after(() => fake.close());

function app({ cache = {}, system = {} } = {}) {
  return new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    cache,
    system: { now, ...system },
  });
}

const ZERO = {
  results: { memory: 0, store: 0, identityProvider: 0 },
  tokenRequests: 0, retries: 0, throttledRefusals: 0, staleServes: 0,
  storeReadFailures: 0, storeWriteFailures: 0,
  leases: { taken: 0, waited: 0, expired: 0 },
  memoryEvictions: 0, cachedKeys: 0,
};

test("stats: every counter from 0; memory hits answered in JavaScript count once, as the core's do", async () => {
  const a = app();
  assert.deepEqual(a.stats(), ZERO);
  const cold = await Promise.all(Array.from({ length: 5 }, () => a.acquireTokenByClientCredential({ scopes: GRAPH })));
  assert.ok(cold.every((r) => r.tokenSource === "identityProvider"));
  for (let i = 0; i < 3; i++) assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");
  // A request the memo does not answer (a correlationId) goes to the core's memory level.
  await a.acquireTokenByClientCredential({ scopes: GRAPH, correlationId: "c-1" });
  const s = a.stats();
  assert.deepEqual(s.results, { memory: 4, store: 0, identityProvider: 5 }, "one result per caller");
  assert.equal(s.tokenRequests, 1, "five callers, one flight");
  assert.equal(s.cachedKeys, 1);
  const text = JSON.stringify(s);
  for (const secret of [TENANT, CLIENT_ID, SECRET, cold[0].accessToken]) assert.ok(!text.includes(secret));
});

test("stats: store hits, store read and write failures, evictions past cache.maxEntries", async () => {
  const kv = new FakeKv({ now });
  const first = app({ cache: { store: kv } });
  await first.acquireTokenByClientCredential({ scopes: GRAPH });
  await kv.settled();
  const second = app({ cache: { store: kv, maxEntries: 1 } });
  assert.equal((await second.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "store");
  kv.failGet = new Error("KV GET failed: 503");
  await second.acquireTokenByClientCredential({ scopes: VAULT });
  const s = second.stats();
  assert.deepEqual(s.results, { memory: 0, store: 1, identityProvider: 1 });
  assert.equal(s.storeReadFailures, 1, "one failed read, then the breaker skips the store");
  assert.equal(s.storeWriteFailures, 0, "nor is it written");
  assert.equal(s.memoryEvictions, 1, "vault evicted graph (maxEntries 1)");
  assert.equal(s.cachedKeys, 1);

  const broken = new FakeKv({ now });
  broken.failPut = new Error("KV PUT failed: 503");
  const third = app({ cache: { store: broken } });
  await third.acquireTokenByClientCredential({ scopes: GRAPH });
  await until(() => third.stats().storeWriteFailures === 1, "the failed write counted");
  assert.equal(third.stats().storeReadFailures, 0);
});

test("stats: retries, a throttled refusal and a stale serve; credential.stats() is its app's", async () => {
  // Answers from `script` first (one per call), then from the fake.
  const scripted = (script) => (url, init) => (script.length ? Promise.resolve(script.shift()()) : fetch(url, init));
  const throttle = () => new Response('{"error":"temporarily_unavailable"}', { status: 429, headers: { "retry-after": "60" } });
  const script = [];
  const a = app({ system: { fetch: scripted(script), maxRetries: 1, deadlineMs: 60_000 } });
  await a.acquireTokenByClientCredential({ scopes: GRAPH });
  clock += 56 * MINUTE; // inside the 5-minute expiry buffer, still valid
  script.push(throttle);
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");
  let s = a.stats();
  assert.equal(s.tokenRequests, 2);
  assert.equal(s.throttledRefusals, 1, "inside the Retry-After window: not sent");
  assert.equal(s.staleServes, 2);
  assert.equal(s.retries, 0, "a stale token is served instead of retrying");

  const retrying = app({ system: { fetch: scripted([() => new Response("", { status: 503, headers: { "retry-after": "0" } })]), maxRetries: 1 } });
  await retrying.acquireTokenByClientCredential({ scopes: GRAPH });
  s = retrying.stats();
  assert.equal(s.retries, 1);
  assert.equal(s.tokenRequests, 2);

  const credential = new ClientSecretCredential(TENANT, CLIENT_ID, SECRET, { authorityHost: fake.url, system: { now } });
  await credential.getToken(GRAPH);
  await credential.getToken(GRAPH);
  await credential.getToken(GRAPH, { enableCae: true });
  const c = credential.stats();
  assert.equal(c.tokenRequests, 2, "its app and its CAE sibling");
  assert.deepEqual(c.results, { memory: 1, store: 0, identityProvider: 2 });
  assert.equal(c.cachedKeys, 2);

  const saved = { ...process.env };
  Object.assign(process.env, { AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: SECRET, AZURE_AUTHORITY_HOST: fake.url });
  try {
    const fromEnv = new EnvironmentCredential({ system: { now } });
    await fromEnv.getToken(GRAPH);
    assert.equal(fromEnv.stats().tokenRequests, 1);
  } finally {
    for (const name of ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_AUTHORITY_HOST"]) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  }
});

test("stats() of credentials without an app of their own: a managed identity counted once, an unavailable one all 0", async () => {
  const mi = await startManagedIdentityFake();
  const names = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH"];
  const saved = Object.fromEntries(names.map((n) => [n, process.env[n]]));
  try {
    for (const n of names) delete process.env[n];
    assert.deepEqual(new EnvironmentCredential().stats(), ZERO, "unavailable: nothing done");
    Object.assign(process.env, mi.env.appService);
    const credential = new ManagedIdentityCredential();
    await credential.getToken("https://storage.azure.com/.default");
    await credential.getToken("https://storage.azure.com/.default", { enableCae: true });
    const s = credential.stats();
    assert.equal(s.tokenRequests, 1);
    assert.deepEqual(s.results, { memory: 1, store: 0, identityProvider: 1 }, "its CAE app is its one app: not counted twice");
  } finally {
    for (const [n, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
    await mi.close();
  }
});

test("refreshDue renews what is due within the window before anyone waits; the rest is skipped", async () => {
  const a = app();
  const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  await a.acquireTokenByClientCredential({ scopes: VAULT });
  assert.deepEqual(await a.refreshDue(), { refreshed: 0, skipped: 2, failed: 0 }, "both fresh for 27+ minutes");
  const n = fake.requests.length;
  // 20 minutes on: both are due within 15 minutes (refreshOn is at most 30 minutes out).
  clock += 20 * MINUTE;
  assert.deepEqual(await a.refreshDue({ withinMs: 15 * MINUTE }), { refreshed: 2, skipped: 0, failed: 0 });
  assert.equal(fake.requests.length, n + 2);
  assert.deepEqual(await a.refreshDue({ withinMs: 15 * MINUTE }), { refreshed: 0, skipped: 2, failed: 0 }, "renewed: fresh again");
  // Past the old token's refreshOn, callers get the renewed token from memory: nobody waits.
  clock += 12 * MINUTE;
  const after = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(after.tokenSource, "memory");
  assert.notEqual(after.accessToken, first.accessToken);
  assert.ok(after.refreshOn.getTime() > clock);
  assert.equal(fake.requests.length, n + 2, "no background refresh either");
});

test("cache.keepWarm loads tokens nobody asked for yet, from the store when another app cached them", async () => {
  const kv = new FakeKv({ now });
  const keepWarm = [{ scopes: GRAPH }, { scopes: VAULT, tenantId: OTHER_TENANT }];
  const config = { cache: { store: kv, keepWarm } };
  const cfg = (c) => ({ ...c, cache: { ...c.cache } });
  const a = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, allowedTenants: [OTHER_TENANT] },
    ...cfg(config),
    system: { now },
  });
  const n = fake.requests.length;
  assert.deepEqual(await a.refreshDue(), { refreshed: 2, skipped: 0, failed: 0 });
  assert.equal(fake.requests.length, n + 2);
  assert.ok(fake.requests.slice(-2).some((r) => r.url.includes(OTHER_TENANT)), "the entry's tenant");
  const vault = await a.acquireTokenByClientCredential({ scopes: VAULT, tenantId: OTHER_TENANT });
  assert.equal(vault.tokenSource, "memory", "warm before the first request");
  await kv.settled();

  // A fresh isolate (a Cron Trigger's): the store has both, nothing is requested.
  const b = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, allowedTenants: [OTHER_TENANT] },
    ...cfg(config),
    system: { now },
  });
  assert.deepEqual(await b.refreshDue(), { refreshed: 0, skipped: 2, failed: 0 });
  assert.equal(fake.requests.length, n + 2);
  assert.equal(b.stats().tokenRequests, 0);
  assert.equal(b.stats().cachedKeys, 2);
  assert.equal((await b.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");
});

test("two daemons over Redis renew a due token with one token request between them (the lease)", async () => {
  const redis = await startRedis();
  const { default: Redis } = await import("ioredis");
  const clients = [new Redis({ path: redis.socket }), new Redis({ path: redis.socket })];
  try {
    const [a, b] = clients.map((client) => app({ cache: { store: new RedisStore(client) } }));
    await a.acquireTokenByClientCredential({ scopes: GRAPH });
    await until(async () => (await clients[0].keys("entra-edge:*")).some((k) => /^entra-edge:[0-9a-f]{64}$/.test(k)), "a's write lands in Redis");
    assert.equal((await b.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "store");
    const n = fake.requests.length;
    clock += 29 * MINUTE;
    const runs = await Promise.all([a.refreshDue(), b.refreshDue()]);
    assert.equal(fake.requests.length, n + 1, "one token request for the fleet");
    assert.equal(runs[0].refreshed + runs[1].refreshed, 1, JSON.stringify(runs));
    assert.equal(runs[0].skipped + runs[1].skipped, 1, "the other one left it to the lease holder or adopted its token");
    assert.equal(runs[0].failed + runs[1].failed, 0);
    const leases = [a.stats().leases, b.stats().leases];
    assert.equal(leases[0].taken + leases[1].taken, 2, "a's first load and one renewal");
  } finally {
    await Promise.all(clients.map((c) => c.quit()));
    await redis.stop();
  }
});

test("refreshDue: a failing identity provider is counted, and the cached token is still served", async () => {
  let down = false;
  const a = app({ system: { fetch: (url, init) => (down ? Promise.resolve(new Response('{"error":"invalid_client"}', { status: 401 })) : fetch(url, init)) } });
  const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  clock += 29 * MINUTE;
  down = true;
  assert.deepEqual(await a.refreshDue(), { refreshed: 0, skipped: 0, failed: 1 });
  const served = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.equal(served.accessToken, first.accessToken);
});

test("refreshDue through a slow, hung or wrong identity provider, and a down or hung store: bounded, counted, the cached token kept", async () => {
  let answer;
  const scripted = (url, init) => (answer ? answer(url, init) : fetch(url, init));
  const a = app({ system: { fetch: scripted, deadlineMs: 2000, timeoutMs: 1000, maxRetries: 0 } });
  const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  clock += 29 * MINUTE;
  // Slow but within the deadline: renewed.
  answer = (url, init) => new Promise((resolve) => setTimeout(() => resolve(fetch(url, init)), 200));
  assert.deepEqual(await a.refreshDue(), { refreshed: 1, skipped: 0, failed: 0 });
  clock += 29 * MINUTE;
  // Hung: the attempt times out (system.timeoutMs) and the run ends, counted.
  answer = () => new Promise(() => {});
  assert.deepEqual(await a.refreshDue(), { refreshed: 0, skipped: 0, failed: 1 });
  // Wrong: a token for another tenant is refused by the self-check.
  clock += MINUTE; // past the 30 s a failed refresh waits
  answer = (url, init) => fetch(String(url).replace(TENANT, OTHER_TENANT), init);
  assert.deepEqual(await a.refreshDue(), { refreshed: 0, skipped: 0, failed: 1 });
  answer = undefined;
  const served = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  assert.notEqual(served.accessToken, first.accessToken, "the token renewed while it was slow");
  assert.equal(a.stats().cachedKeys, 1);

  // keepWarm over a store that is down, then one that hangs: the token still comes, from Entra.
  for (const kv of [Object.assign(new FakeKv({ now }), { failGet: new Error("KV GET failed: 503") }), { get: () => new Promise(() => {}), put: async () => {}, delete: async () => {} }]) {
    const b = app({ cache: { store: kv, keepWarm: [{ scopes: GRAPH }] }, system: { deadlineMs: 2000, timeoutMs: 1000 } });
    assert.deepEqual(await b.refreshDue(), { refreshed: 1, skipped: 0, failed: 0 });
    assert.equal(b.stats().storeReadFailures, 1);
  }
});

test("bad refreshDue options and keepWarm entries are configuration errors naming the field", async () => {
  const a = app();
  for (const [options, text] of [
    [{ withinMs: -1 }, "withinMs must be a whole number from 0 to 86400000"],
    [{ withinMs: "10m" }, "withinMs must be a whole number from 0 to 86400000"],
    [{ withinMS: 1 }, "unknown option withinMS"],
    [{ waitUntil: 1 }, "waitUntil must be a function"],
    [5, "options must be an object"],
  ]) {
    await assert.rejects(a.refreshDue(options), (e) => e instanceof ClientConfigurationError && e.message.includes(text), JSON.stringify(options));
  }
  const config = (cache, system = {}) => () => app({ cache, system });
  assert.throws(config({ keepWarm: [{ scopes: GRAPH }, { scopes: ["User.Read"] }] }), (e) => e instanceof ClientConfigurationError && e.errorCode === "invalid_scope" && e.message.startsWith("cache.keepWarm[1]: "));
  assert.throws(config({ keepWarm: [{ scopes: GRAPH, tenantId: OTHER_TENANT }] }), (e) => e.errorCode === "tenant_not_allowed" && e.message.startsWith("cache.keepWarm[0]: "));
  assert.throws(config({ keepWarm: [{ scopes: GRAPH, tenant: "x" }] }), (e) => e instanceof ClientConfigurationError && e.message.includes("cache.keepWarm[0].tenant"));
  assert.throws(config({}, { refreshTimer: "often" }), (e) => e instanceof ClientConfigurationError && e.message.includes("system.refreshTimer must be true, or a period in ms"));
});

test("system.refreshTimer in workerd and the Edge runtime is refused with the platform's schedule to use instead", async () => {
  const refused = (schedule) => ({ name: "ClientConfigurationError", errorCode: "invalid_config", schedule });
  const bundle = await bundleWorker(fileURLToPath(new URL("./workers/timer-worker.js", import.meta.url)));
  const mf = startWorker(bundle);
  try {
    const res = await mf.dispatchFetch("http://worker/");
    assert.deepEqual(await res.json(), refused("Cron Trigger"));
  } finally {
    await mf.dispose();
  }
  const edge = await startEdge(await bundleForEdge(fileURLToPath(new URL("./runtimes/timer-edge.js", import.meta.url))));
  const res = await edge.dispatchFetch("http://edge/");
  assert.deepEqual(await res.json(), refused("Vercel Cron Job"));
});

test("system.refreshTimer renews due tokens by itself; unref'd, a daemon still exits", async () => {
  const a = app({ system: { refreshTimer: 20 } });
  await a.acquireTokenByClientCredential({ scopes: GRAPH });
  clock += 25 * MINUTE;
  await until(() => a.stats().tokenRequests === 2, "the timer's refresh");
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");

  const script = `
    import { ConfidentialClientApplication } from "entra-edge";
    const app = new ConfidentialClientApplication({
      auth: { clientId: ${JSON.stringify(CLIENT_ID)}, authority: ${JSON.stringify(`${fake.url}/${TENANT}`)}, clientSecret: ${JSON.stringify(SECRET)} },
      system: { refreshTimer: true },
    });
    await app.acquireTokenByClientCredential({ scopes: ${JSON.stringify(GRAPH)} });
    console.log("done");`;
  // The same program in Node, Deno (whose timers are unref'd through Deno.unrefTimer) and Bun.
  const file = fileURLToPath(new URL(`./runtimes/.refresh-timer-${process.pid}.mjs`, import.meta.url));
  await writeFile(file, script);
  const bin = (name) => fileURLToPath(new URL(`../node_modules/.bin/${name}`, import.meta.url));
  try {
    for (const [command, args] of [[process.execPath, [file]], [bin("deno"), ["run", "-A", file]], [bin("bun"), [file]]]) {
      const child = spawn(command, args, { cwd: fileURLToPath(new URL("..", import.meta.url)) });
      let out = "";
      child.stdout.on("data", (d) => (out += d));
      const code = await new Promise((resolve) => child.on("exit", resolve));
      assert.equal(code, 0, command);
      assert.equal(out.trim(), "done", command);
    }
  } finally {
    await rm(file, { force: true });
  }
});

test("the token self-check: a token for another tenant is refused with token_mismatch and not cached", async () => {
  // A proxy that mixes tenants up: the request for TENANT is answered for OTHER_TENANT.
  const mixing = (url, init) => fetch(String(url).replace(TENANT, OTHER_TENANT), init);
  const a = app({ system: { fetch: mixing } });
  for (let i = 1; i <= 2; i++) {
    await assert.rejects(a.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
      assert.ok(e instanceof ServerError);
      assert.equal(e.errorCode, "token_mismatch");
      assert.ok(!e.message.includes(TENANT) && !e.message.includes(OTHER_TENANT));
      return true;
    });
    assert.equal(a.stats().tokenRequests, i, "not retried, nothing cached");
  }
  assert.equal(a.stats().cachedKeys, 0);
});

test("the example Worker's Cron Trigger in workerd keeps the token warm: requests never wait for Entra", async () => {
  const bundle = await bundleWorker(fileURLToPath(new URL("../examples/worker.js", import.meta.url)));
  const kvPersist = await mkdtemp(join(tmpdir(), "entra-edge-cron-"));
  // Graph's users list, for the requests after the scheduled runs.
  const graph = http.createServer((req, res) => res.writeHead(200, { "content-type": "application/json" }).end('{"value":[]}'));
  const graphUrl = await listen(graph);
  const bindings = { CLIENT_ID, TENANT_ID: TENANT, CLIENT_SECRET: SECRET, AUTHORITY_HOST: fake.url, GRAPH_BASE: graphUrl };
  const tenantRequests = () => fake.requests.filter((r) => r.url.startsWith(`/${TENANT}/`)).length;
  const n = tenantRequests();
  const mf = startWorker(bundle, { bindings, kvPersist });
  try {
    const worker = await mf.getWorker();
    const run = await worker.scheduled({ cron: "*/5 * * * *" });
    assert.equal(run.outcome, "ok");
    await until(() => tenantRequests() === n + 1, "the scheduled run's token request");
    const run2 = await worker.scheduled({ cron: "*/5 * * * *" });
    assert.equal(run2.outcome, "ok");
    assert.equal(tenantRequests(), n + 1, "fresh: the second run asks for nothing");
  } finally {
    await mf.dispose();
  }
  // A new isolate: its first scheduled run finds the token in KV.
  const again = startWorker(bundle, { bindings, kvPersist });
  try {
    const worker = await again.getWorker();
    assert.equal((await worker.scheduled({ cron: "*/5 * * * *" })).outcome, "ok");
    assert.equal(tenantRequests(), n + 1, "from KV, no token request");
    const users = await again.dispatchFetch("http://worker/users");
    assert.equal(users.status, 200);
    assert.equal((await users.json()).tokenSource, "memory", "the first request finds the token warm");
    assert.equal(tenantRequests(), n + 1);
  } finally {
    await again.dispose();
    await closeServer(graph);
  }
});
