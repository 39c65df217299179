// DenoKvStore across real Deno processes sharing one KV file (Deno.openKv's local SQLite
// backend): one token request for the fleet, and a dead leaseholder costs one more request, not
// one per waiter. Node-only as a host: it starts the Deno processes (child processes).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { startDaemons, waiting } from "./support/daemons.mjs";
import { until } from "./support/until.mjs";

const DENO = fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url));
const DAEMON = fileURLToPath(new URL("./runtimes/deno-kv-daemon.mjs", import.meta.url));
let fake;
before(async () => (fake = await startEntraFake()));
after(() => fake.close());

/** `count` Deno processes over a fresh KV file, each with only the permissions it needs. */
async function startFleet(count, timeoutMs = 2000) {
  const dir = await mkdtemp(join(tmpdir(), "entra-edge-denokv-"));
  const kvPath = join(dir, "tokens.sqlite");
  const commands = Array.from({ length: count }, (_, i) => {
    const config = { kvPath, authority: `${fake.url}/${TENANT}`, clientId: CLIENT_ID, clientSecret: SECRET, correlationId: `deno-${i}`, timeoutMs };
    return [DENO, ["run", "--allow-net=127.0.0.1", "--unstable-kv", `--allow-read=${dir}`, `--allow-write=${dir}`, DAEMON, JSON.stringify(config)], `deno-${i}`];
  });
  return startDaemons(commands, "every Deno process opened the KV");
}

test("6 Deno processes released together, the endpoint held: one token request, one token", async () => {
  const fleet = await startFleet(6);
  let release;
  const held = new Promise((r) => (release = r));
  const n = fake.requests.length;
  fake.respondWith(async () => {
    await held;
    return undefined;
  });
  try {
    fleet.go();
    await until(() => fake.requests.length > n && fleet.daemons.filter(waiting).length === 5, "five processes wait on the lease");
    release();
    await until(() => fleet.daemons.every((d) => d.outcome), "every process has a token");
    assert.equal(fake.requests.length - n, 1, "one token request for the fleet");
    assert.equal(new Set(fleet.daemons.map((d) => d.outcome.result?.accessToken)).size, 1, JSON.stringify(fleet.daemons.map((d) => d.outcome)));
    assert.deepEqual(fleet.daemons.map((d) => d.outcome.result.tokenSource).sort(), ["identityProvider", "store", "store", "store", "store", "store"]);
  } finally {
    fake.respondWith(undefined);
    fleet.stop();
  }
});

test("the leaseholder killed after its request reached the endpoint: the others still get a token", async () => {
  const fleet = await startFleet(4, 1500);
  const n = fake.requests.length;
  let holder;
  fake.respondWith(async (req) => {
    if (holder === undefined) {
      holder = req.headers["client-request-id"];
      return new Promise(() => {}); // never answers: its process dies first
    }
    return undefined;
  });
  try {
    fleet.go();
    await until(() => holder !== undefined && fleet.daemons.filter(waiting).length === 3, "three processes wait on the lease");
    const dead = fleet.daemons.find((d) => d.id === holder);
    dead.child.kill("SIGKILL");
    const alive = fleet.daemons.filter((d) => d !== dead);
    await until(() => alive.every((d) => d.outcome), "the others have a token");
    assert.ok(alive.every((d) => d.outcome.result), JSON.stringify(alive.map((d) => d.outcome)));
    assert.equal(new Set(alive.map((d) => d.outcome.result.accessToken)).size, 1);
    assert.equal(fake.requests.length - n, 2, "the dead holder's request and one more, not one per waiter");
  } finally {
    fake.respondWith(undefined);
    fleet.stop();
  }
});
