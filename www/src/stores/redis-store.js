// A KV-shaped store over a Redis client, for fleets of daemons that share tokens. Works with any
// client exposing get(key), set(key, value, "EX", seconds) and del(key) — ioredis, or node-redis
// through its legacy mode — so the package depends on none.
export class RedisStore {
  #client;

  constructor(client) {
    for (const method of ["get", "set", "del"]) {
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
}
