// A store over Deno KV (`await Deno.openKv(path)`): sealed entries under ["entra-edge", key],
// and the fleet lease through an atomic check-and-set, so Deno processes sharing one KV make
// one token request per key.
//
// Entries carry their own expiry, checked on read, and are also written with `expireIn` so KV
// removes them: Deno documents `expireIn` as a lower bound (a key may outlive it), so a read
// cannot rely on it alone. Leases the same way: the holder's id and its end time, replaced only
// by a commit that checks the versionstamp the caller read.
import { LeaseOwners } from "../lease-owners.js";

const ENTRY = "entra-edge";
const LEASE = "entra-edge-lease";
// SQLite answers "database is locked" (SQLITE_BUSY) when two processes commit at the same
// moment: that commit did not happen, so it is tried again, a lease is not lost to it.
const COMMIT_TRIES = 20;

const isLocked = (e) => /database is locked|busy/i.test(String(e?.message ?? e));

export class DenoKvStore {
  #kv;
  #now;
  #owners = new LeaseOwners();

  /** @param kv a `Deno.Kv` from `await Deno.openKv(path)`. `now` is for tests. */
  constructor(kv, { now = Date.now } = {}) {
    for (const method of ["get", "set", "delete", "atomic"]) {
      if (typeof kv?.[method] !== "function") {
        throw new TypeError(
          `DenoKvStore: kv must be a Deno.Kv (${method}() is missing): pass await Deno.openKv(path) (Deno 2.9 needs --unstable-kv); in Node use RedisStore or FileStore from "entra-edge/stores", on Workers a KV namespace`,
        );
      }
    }
    this.#kv = kv;
    this.#now = now;
  }

  async get(key) {
    const { value } = await this.#retry(() => this.#kv.get([ENTRY, key]));
    return value !== null && value.expiresAt > this.#now() ? value.value : null;
  }

  async put(key, value, { expirationTtl } = {}) {
    if (!(expirationTtl >= 60)) throw new TypeError("DenoKvStore: expirationTtl must be at least 60 seconds, as in KV");
    const ms = Math.floor(expirationTtl) * 1000;
    await this.#retry(() => this.#kv.set([ENTRY, key], { value, expiresAt: this.#now() + ms }, { expireIn: ms }));
  }

  async delete(key) {
    await this.#retry(() => this.#kv.delete([ENTRY, key]));
  }

  /** Takes the lease on `key` for `ttlMs` if nobody holds it (or its holder's time is over): true when taken. */
  lease(key, ttlMs) {
    const ms = Math.max(1, Math.floor(ttlMs));
    return this.#owners.take(key, (owner) =>
      this.#retry(async () => {
        const held = await this.#kv.get([LEASE, key]);
        if (held.value !== null && held.value.until > this.#now()) return false;
        const { ok } = await this.#kv
          .atomic()
          .check(held)
          .set([LEASE, key], { owner, until: this.#now() + ms }, { expireIn: ms })
          .commit();
        // Not ok: another process committed a lease between the read and this commit.
        return ok;
      }),
    );
  }

  /** Releases the lease on `key` if this store still owns it. */
  release(key) {
    return this.#owners.release(key, (owner) =>
      this.#retry(async () => {
        const held = await this.#kv.get([LEASE, key]);
        if (held.value?.owner !== owner) return;
        await this.#kv.atomic().check(held).delete([LEASE, key]).commit();
      }),
    );
  }

  async #retry(operation) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await operation();
      } catch (e) {
        if (attempt >= COMMIT_TRIES || !isLocked(e)) throw e;
        await new Promise((resolve) => setTimeout(resolve, attempt));
      }
    }
  }
}
