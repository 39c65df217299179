// A Workers KV stand-in for what local KV (Miniflare) does not emulate, faithful to the
// documented limits: expirationTtl must be at least 60 (KV throws), at most one write per second
// per key (KV throws "KV PUT failed: 429 Too Many Requests"). It records every call and can be
// told to fail, so tests can assert what the library did with the store.
export class FakeKv {
  map = new Map();
  calls = [];
  failGet = null; // an Error to throw from get
  failPut = null; // an Error to throw from put
  #lastWrite = new Map();
  #pending = [];
  #gate = null;

  constructor({ now = Date.now } = {}) {
    this.now = now;
  }

  async get(key) {
    this.calls.push(["get", key]);
    if (this.failGet) throw this.failGet;
    const entry = this.map.get(key);
    return entry && entry.expiresAt > this.now() ? entry.value : null;
  }

  put(key, value, options) {
    const p = this.#put(key, value, options);
    this.#pending.push(p.catch(() => {}));
    return p;
  }

  async #put(key, value, { expirationTtl } = {}) {
    this.calls.push(["put", key, expirationTtl, value]);
    if (this.#gate) await this.#gate.promise;
    if (this.failPut) throw this.failPut;
    if (!(expirationTtl >= 60)) throw new Error(`KV PUT failed: 400 Invalid expiration_ttl of ${expirationTtl}. Expiration TTL must be at least 60.`);
    const last = this.#lastWrite.get(key);
    if (last !== undefined && this.now() - last < 1000) throw new Error("KV PUT failed: 429 Too Many Requests");
    this.#lastWrite.set(key, this.now());
    this.map.set(key, { value, expiresAt: this.now() + expirationTtl * 1000 });
  }

  async delete(key) {
    this.calls.push(["delete", key]);
    this.map.delete(key);
  }

  /** Holds every put until `release()`: shows whether a caller waits for the write. */
  hold() {
    let release;
    const promise = new Promise((r) => (release = r));
    this.#gate = { promise, release };
  }

  release() {
    this.#gate?.release();
    this.#gate = null;
  }

  /** Resolves when every put issued so far has finished. */
  settled() {
    return Promise.all(this.#pending);
  }

  count(kind) {
    return this.calls.filter((c) => c[0] === kind).length;
  }
}
