// A KV-shaped store over a Redis client, for fleets of daemons that share tokens. Works with any
// client exposing get(key), set(key, value, ...options), del(key) and eval(script, n, ...args):
// ioredis, or node-redis through its legacy mode, so the package depends on none.
//
// It also leases (fleet-wide single-flight): lease(key, ttlMs) is SET NX PX with a random owner
// value, and release(key) deletes the lease only if this store still owns it (a Lua script:
// a lease that expired and was taken by another process is not removed). The value is a random
// id: no secret.
import { LeaseOwners } from "../lease-owners.js";

const RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end";

export class RedisStore {
  #client;
  #owners = new LeaseOwners();

  constructor(client) {
    for (const method of ["get", "set", "del", "eval"]) {
      if (typeof client?.[method] !== "function") {
        throw new TypeError(`RedisStore: the client must have ${method}(); pass an ioredis client or a node-redis legacy client`);
      }
    }
    this.#client = client;
  }

  async get(key) {
    return (await this.#client.get(key)) ?? null;
  }

  async put(key, value, { expirationTtl } = {}) {
    if (!(expirationTtl >= 60)) throw new TypeError("RedisStore: expirationTtl must be at least 60 seconds, as in KV");
    await this.#client.set(key, value, "EX", Math.floor(expirationTtl));
  }

  async delete(key) {
    await this.#client.del(key);
  }

  /** Takes the lease on `key` for `ttlMs` if nobody holds it: true when taken. */
  lease(key, ttlMs) {
    return this.#owners.take(key, async (owner) => (await this.#client.set(key, owner, "PX", Math.max(1, Math.floor(ttlMs)), "NX")) === "OK");
  }

  /** Releases the lease on `key` if this store still owns it. */
  release(key) {
    return this.#owners.release(key, (owner) => this.#client.eval(RELEASE, 1, key, owner));
  }
}
