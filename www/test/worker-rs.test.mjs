// A Worker written in Rust (workers-rs, examples/worker-rs, feature `worker`) in the real
// workerd runtime: it gets tokens from the loopback Entra fake and calls the Graph-like API,
// single-flights concurrent requests in its isolate, and shares one KV namespace with the JS
// package's Worker: each opens the sealed entries the other wrote.
// scripts/test.sh builds it first (scripts/build-worker-rs.sh).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { startGraphFake } from "./support/graph-fake.mjs";
import { startIdp } from "./support/idp.mjs";
import { until } from "./support/until.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const RUST_WORKER = fileURLToPath(new URL("../../examples/worker-rs/dist/", import.meta.url));
const SCOPE = "https://graph.microsoft.com/.default";

let fake;
let jsBundle;
before(async () => {
  assert.ok(existsSync(join(RUST_WORKER, "worker.wasm")), "examples/worker-rs/dist is missing: run scripts/build-worker-rs.sh");
  fake = await startEntraFake();
  jsBundle = await bundleWorker(fileURLToPath(new URL("./workers/token-worker.js", import.meta.url)));
});
after(() => fake.close());

const entraBindings = () => ({ CLIENT_ID, CLIENT_SECRET: SECRET, AUTHORITY: `${fake.url}/${TENANT}`, SCOPE });

/** The Rust Worker in its own Miniflare (its own isolate), over the KV folder `kvPersist`. */
function startRustWorker(bindings, kvPersist) {
  return new Miniflare({
    modulesRoot: RUST_WORKER,
    modules: [
      { type: "ESModule", path: join(RUST_WORKER, "worker.mjs") },
      { type: "CompiledWasm", path: join(RUST_WORKER, "worker.wasm") },
    ],
    compatibilityDate: "2026-04-01",
    bindings,
    kvNamespaces: ["TOKEN_CACHE"],
    ...(kvPersist ? { kvPersist } : {}),
  });
}

const json = async (mf, path) => (await mf.dispatchFetch(`http://worker${path}`)).json();

describe("a workers-rs Worker", () => {
  test("20 concurrent requests in one isolate make one token request; memory answers the next", async () => {
    const mf = startRustWorker(entraBindings());
    try {
      const n = fake.requests.length;
      let release;
      const gate = new Promise((r) => (release = r));
      fake.respondWith(async () => (await gate, undefined));
      const responses = Promise.all(Array.from({ length: 20 }, () => json(mf, "/token")));
      await until(() => fake.requests.length > n, "the token request reaches the fake");
      release();
      const bodies = await responses;
      fake.respondWith(undefined);
      assert.equal(fake.requests.length, n + 1, "one token request for 20 concurrent requests");
      assert.ok(bodies.every((b) => b.accessToken && b.accessToken === bodies[0].accessToken), JSON.stringify(bodies[0]));
      assert.equal((await json(mf, "/token")).tokenSource, "memory");
    } finally {
      await mf.dispose();
    }
  });

  for (const [first, second] of [["js", "rust"], ["rust", "js"]]) {
    test(`the ${second} Worker opens the sealed KV entry the ${first} Worker wrote`, async () => {
      const kvPersist = await mkdtemp(join(tmpdir(), "entra-edge-kv-"));
      const start = (kind) => (kind === "js" ? startWorker(jsBundle, { bindings: entraBindings(), kvPersist }) : startRustWorker(entraBindings(), kvPersist));
      const n = fake.requests.length;
      const a = start(first);
      let written;
      try {
        written = await json(a, "/token");
        assert.equal(written.tokenSource, "identityProvider", JSON.stringify(written));
        // The entry is written in the background (waitUntil) after the answer.
        const kv = await a.getKVNamespace("TOKEN_CACHE");
        await until(async () => (await kv.list()).keys.some((k) => !k.name.endsWith(":retry-after")), `the ${first} Worker's entry is in KV`);
      } finally {
        await a.dispose();
      }
      const b = start(second);
      try {
        const read = await json(b, "/token");
        assert.equal(read.tokenSource, "store", JSON.stringify(read));
        assert.equal(read.accessToken, written.accessToken);
        assert.equal(fake.requests.length, n + 1);
      } finally {
        await b.dispose();
      }
    });
  }

  test("clear_cache empties memory and the KV entries it used: the next isolate asks again", async () => {
    const kvPersist = await mkdtemp(join(tmpdir(), "entra-edge-kv-"));
    const n = fake.requests.length;
    const a = startRustWorker(entraBindings(), kvPersist);
    try {
      assert.equal((await json(a, "/token")).tokenSource, "identityProvider");
      const kv = await a.getKVNamespace("TOKEN_CACHE");
      await until(async () => (await kv.list()).keys.length > 0, "the entry is in KV");
      assert.equal(await (await a.dispatchFetch("http://worker/clear")).text(), "cleared");
      assert.deepEqual((await kv.list()).keys, []);
      assert.equal((await json(a, "/token")).tokenSource, "identityProvider", "memory was emptied too");
    } finally {
      await a.dispose();
    }
    assert.equal(fake.requests.length, n + 2);
  });

  for (const [fault, respond, code] of [
    ["hangs", () => new Promise(() => {}), "timeout"],
    ["drops the connection", () => ({ destroy: true }), "fetch_failed"],
    ["answers 503 with Retry-After", () => ({ status: 503, headers: { "retry-after": "30" }, body: "" }), "http_error"],
  ]) {
    test(`a token endpoint that ${fault}: the Worker answers with the error (${code}), at once`, async () => {
      const mf = startRustWorker({ ...entraBindings(), TIMEOUT_MS: "500" });
      fake.respondWith(respond);
      try {
        const res = await mf.dispatchFetch("http://worker/token");
        const body = await res.json();
        assert.equal(res.status, 500, JSON.stringify(body));
        assert.equal(body.errorCode, code, JSON.stringify(body));
        assert.ok(!JSON.stringify(body).includes(SECRET), "no secret in the error");
      } finally {
        fake.respondWith(undefined);
        await mf.dispose();
      }
    });
  }

  test("calls the Graph-like API with a token from any OAuth server (oidc-provider)", async () => {
    const idp = await startIdp({ clients: [{ client_id: "rust-worker", client_secret: "rust-worker-secret", token_endpoint_auth_method: "client_secret_post" }] });
    const graph = await startGraphFake({ jwksUri: idp.jwksUri, issuer: idp.issuer, audience: idp.audience });
    const mf = startRustWorker({ CLIENT_ID: "rust-worker", CLIENT_SECRET: "rust-worker-secret", TOKEN_ENDPOINT: `${idp.url}/token`, SCOPE: "User.Read.All", GRAPH_URL: graph.url });
    try {
      const first = await json(mf, "/users");
      assert.equal(first.status, 200, JSON.stringify(first));
      assert.deepEqual(first.body.value.map((u) => u.displayName).slice(0, 2), ["Adele Vance", "Alex Wilber"]);
      assert.equal(first.tokenSource, "identityProvider");
      assert.equal((await json(mf, "/users")).tokenSource, "memory");
    } finally {
      await mf.dispose();
      await graph.close();
      await idp.close();
    }
  });
});
