// Node and Rust daemons share one real redis-server: the Rust RedisStore (feature `redis`,
// examples/fleet_daemon.rs) speaks the same keys, lease and sealed entries as the JS one, so a
// mixed fleet makes one token request per key and each side opens the other's entries.
// scripts/test.sh builds the Rust daemon first (cargo build --features redis --example fleet_daemon).
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { startDaemons, waiting } from "./support/daemons.mjs";
import { startRedis } from "./support/redis.mjs";
import { until } from "./support/until.mjs";

const NODE_DAEMON = fileURLToPath(new URL("./support/fleet-daemon.mjs", import.meta.url));
const RUST_DAEMON = fileURLToPath(new URL("../../target/debug/examples/fleet_daemon", import.meta.url));

let fake;
before(async () => {
  assert.ok(existsSync(RUST_DAEMON), `${RUST_DAEMON} is missing: run cargo build --features redis --example fleet_daemon`);
  fake = await startEntraFake();
});
after(() => fake.close());

/** Daemons of the kinds given ("node" / "rust"), ids "<kind>-<i>". */
const startFleet = (kinds, socket) =>
  startDaemons(
    kinds.map((kind, i) => {
      const args = [socket, `${fake.url}/${TENANT}`, CLIENT_ID, SECRET, `${kind}-${i}`, "2000"];
      return kind === "node" ? [process.execPath, [NODE_DAEMON, ...args], `${kind}-${i}`] : [RUST_DAEMON, args, `${kind}-${i}`];
    }),
  );
const kindOf = (d) => d.id.split("-")[0];

describe("Node and Rust daemons over one redis-server", () => {
  test("a mixed fleet released together, the endpoint held: one token request, one token", async () => {
    const redis = await startRedis();
    const fleet = await startFleet(["node", "rust", "node", "rust", "rust", "node"], redis.socket);
    let release;
    const held = new Promise((r) => (release = r));
    const n = fake.requests.length;
    fake.respondWith(async () => (await held, undefined));
    try {
      fleet.go();
      await until(() => fake.requests.length > n && fleet.daemons.filter(waiting).length === 5, "five daemons wait on the lease");
      const waiters = fleet.daemons.filter(waiting).map(kindOf);
      assert.ok(waiters.includes("node") && waiters.includes("rust"), `both kinds wait on the other's lease: ${waiters}`);
      release();
      await until(() => fleet.daemons.every((d) => d.outcome), "every daemon has a token");
      assert.equal(fake.requests.length - n, 1, "one token request for the fleet");
      const tokens = new Set(fleet.daemons.map((d) => d.outcome.result?.accessToken));
      assert.equal(tokens.size, 1, JSON.stringify(fleet.daemons.map((d) => d.outcome)));
      assert.deepEqual(fleet.daemons.map((d) => d.outcome.result.tokenSource).sort(), ["identityProvider", "store", "store", "store", "store", "store"]);
    } finally {
      fake.respondWith(undefined);
      fleet.stop();
      await redis.stop();
    }
  });

  for (const [first, second] of [["node", "rust"], ["rust", "node"]]) {
    test(`a ${second} daemon opens the sealed entry a ${first} daemon wrote`, async () => {
      const redis = await startRedis();
      const fleet = await startFleet([first, second], redis.socket);
      const [a, b] = fleet.daemons;
      const n = fake.requests.length;
      try {
        fleet.go([a]);
        await until(() => a.outcome, `the ${first} daemon has a token`);
        assert.equal(a.outcome.result?.tokenSource, "identityProvider", JSON.stringify(a.outcome));
        // The entry is written in the background after the answer: wait for the lease's release,
        // which follows the write.
        await until(async () => (await redisKeys(redis.socket)).every((k) => !k.endsWith(":lease")) && (await redisKeys(redis.socket)).length > 0, "the entry is written");
        fleet.go([b]);
        await until(() => b.outcome, `the ${second} daemon has a token`);
        assert.equal(b.outcome.result?.tokenSource, "store", JSON.stringify(b.outcome));
        assert.equal(b.outcome.result.accessToken, a.outcome.result.accessToken);
        assert.equal(fake.requests.length - n, 1);
      } finally {
        fleet.stop();
        await redis.stop();
      }
    });
  }
});

test("Redis down: the Rust daemon logs it and still gets its token from the identity provider", async () => {
  const redis = await startRedis();
  const socket = redis.socket;
  await redis.stop();
  const fleet = await startFleet(["rust"], socket);
  const [d] = fleet.daemons;
  try {
    fleet.go();
    await until(() => d.outcome, "the daemon has an outcome");
    assert.equal(d.outcome.result?.tokenSource, "identityProvider", JSON.stringify(d.outcome));
    assert.ok(d.logs.some(([level, m]) => level === "warning" && /RedisStore get failed/.test(m)), JSON.stringify(d.logs));
  } finally {
    fleet.stop();
  }
});

/** The keys in the Redis on `socket`, through redis-cli (installed with redis-server). */
async function redisKeys(socket) {
  const child = spawn("redis-cli", ["-s", socket, "--raw", "KEYS", "*"], { stdio: ["ignore", "pipe", "inherit"] });
  let out = "";
  for await (const chunk of child.stdout) out += chunk;
  return out.split("\n").filter(Boolean);
}
