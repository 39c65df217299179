// DenoKvStore over a real Deno KV file (Deno.openKv): entries with their expiry, the lease's
// check-and-set, and commits that meet "database is locked". Runs where Deno.openKv exists: in
// the Deno pass of scripts/test.sh (deno test --unstable-kv); skipped in Node and Bun. The fleet
// of Deno processes over one file is in deno-kv-fleet.test.mjs.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";

const HERE = typeof Deno !== "undefined" && typeof Deno.openKv === "function";
// Only the Deno entry exports it.
const { DenoKvStore } = HERE ? await import("entra-edge") : {};

describe("DenoKvStore", { skip: HERE ? false : "needs Deno.openKv (the Deno pass of scripts/test.sh)" }, () => {
  let kv;
  let path;
  let now = 1_000_000;
  let store;
  before(async () => {
    path = `${await Deno.makeTempDir({ prefix: "entra-edge-kv-" })}/tokens.sqlite`;
    kv = await Deno.openKv(path);
    store = new DenoKvStore(kv, { now: () => now });
  });
  after(() => kv.close());

  test("an entry is served until its expirationTtl, then read as absent", async () => {
    await store.put("entra-edge:a", "sealed-a", { expirationTtl: 60 });
    assert.equal(await store.get("entra-edge:a"), "sealed-a");
    now += 59_999;
    assert.equal(await store.get("entra-edge:a"), "sealed-a");
    now += 1;
    assert.equal(await store.get("entra-edge:a"), null);
    await store.delete("entra-edge:a");
    assert.equal((await kv.get(["entra-edge", "entra-edge:a"])).value, null);
    await assert.rejects(store.put("entra-edge:b", "v", { expirationTtl: 30 }), /expirationTtl must be at least 60 seconds/);
  });

  test("another process's handle on the same file sees the entry", async () => {
    await store.put("entra-edge:shared", "sealed", { expirationTtl: 600 });
    const other = await Deno.openKv(path);
    try {
      assert.equal(await new DenoKvStore(other, { now: () => now }).get("entra-edge:shared"), "sealed");
    } finally {
      other.close();
    }
  });

  test("one lease per key until it ends or its owner releases it; a release by another owner does nothing", async () => {
    const other = new DenoKvStore(kv, { now: () => now });
    assert.equal(await store.lease("entra-edge:k", 2000), true);
    assert.equal(await other.lease("entra-edge:k", 2000), false);
    assert.equal(await store.lease("entra-edge:other-key", 2000), true, "leases are per key");
    await other.release("entra-edge:k");
    assert.equal(await other.lease("entra-edge:k", 2000), false, "not the owner: the lease stays");
    await store.release("entra-edge:k");
    assert.equal(await other.lease("entra-edge:k", 2000), true);
    now += 2001;
    assert.equal(await store.lease("entra-edge:k", 2000), true, "an ended lease is taken over");
    await other.release("entra-edge:k");
    assert.equal(await other.lease("entra-edge:k", 2000), false, "the old owner's release leaves the new lease");
  });

  test("concurrent leases on one key: exactly one is taken", async () => {
    const stores = Array.from({ length: 8 }, () => new DenoKvStore(kv, { now: () => now }));
    const taken = await Promise.all(stores.map((s) => s.lease("entra-edge:race", 5000)));
    assert.equal(taken.filter(Boolean).length, 1, JSON.stringify(taken));
  });

  test('"database is locked" is retried, not a lost lease; other errors are not', async () => {
    let failures = 2;
    const locked = {
      get: (...a) => kv.get(...a),
      set: (...a) => kv.set(...a),
      delete: (...a) => kv.delete(...a),
      atomic: () => {
        const op = kv.atomic();
        const commit = op.commit.bind(op);
        op.commit = () => (failures-- > 0 ? Promise.reject(new Error("database is locked")) : commit());
        return op;
      },
    };
    assert.equal(await new DenoKvStore(locked, { now: () => now }).lease("entra-edge:locked", 2000), true);
    assert.equal(failures, -1, "two locked commits, then the one that took the lease");
    const broken = { ...locked, get: () => Promise.reject(new Error("disk I/O error")) };
    await assert.rejects(new DenoKvStore(broken).get("entra-edge:x"), /disk I\/O error/);
  });

  test("anything but a Deno.Kv is refused at construction, saying what to pass", () => {
    assert.throws(() => new DenoKvStore({}), /DenoKvStore: kv must be a Deno.Kv \(get\(\) is missing\): pass await Deno.openKv\(path\)/);
  });
});
