// Fleet-wide single-flight on Workers: a Durable Object per token key (one strongly consistent,
// single-threaded object reachable from every location) holds the key's sealed entry, its
// Retry-After window and its lease. One object per key rather than per app: leases are per key
// anyway, and the load of many tenants spreads over many objects, each placed near the first
// isolate that asked for it. The object only ever sees sealed entries and lease owner ids.
//
// Plain classes speaking JSON over the stub's fetch: no import of "cloudflare:workers", so the
// entry still loads in other runtimes.

import { LeaseOwners } from "./lease-owners.js";

const ORIGIN = "https://entra-edge-token-cache";

/** The Durable Object class; re-export it from the Worker: export { EntraEdgeTokenCache } from "entra-edge". */
export class EntraEdgeTokenCache {
  #storage;

  constructor(state) {
    this.#storage = state.storage;
  }

  async fetch(request) {
    let body;
    try {
      body = await request.json();
    } catch {
      return new Response("entra-edge token cache: a JSON operation is expected", { status: 400 });
    }
    const now = Date.now();
    const storage = this.#storage;
    switch (body.op) {
      case "get": {
        const entry = await storage.get(`v:${body.key}`);
        if (!entry || entry.expiresAt <= now) return Response.json(null);
        return Response.json(entry.value);
      }
      case "put": {
        const expiresAt = now + body.ttlSeconds * 1000;
        await storage.put(`v:${body.key}`, { value: body.value, expiresAt });
        // Expired entries are deleted by the alarm, as KV's expirationTtl does.
        const alarm = await storage.getAlarm();
        if (alarm === null || alarm > expiresAt) await storage.setAlarm(expiresAt);
        return Response.json(true);
      }
      case "delete":
        await storage.delete(`v:${body.key}`);
        return Response.json(true);
      case "lease": {
        // The object runs one request at a time: this read-then-write is atomic.
        const held = await storage.get(`l:${body.key}`);
        if (held && held.until > now) return Response.json(false);
        await storage.put(`l:${body.key}`, { owner: body.owner, until: now + body.ttlMs });
        return Response.json(true);
      }
      case "release": {
        const held = await storage.get(`l:${body.key}`);
        if (held?.owner === body.owner) await storage.delete(`l:${body.key}`);
        return Response.json(true);
      }
      default:
        return new Response(`entra-edge token cache: unknown operation ${JSON.stringify(body.op)}`, { status: 400 });
    }
  }

  async alarm() {
    const now = Date.now();
    const entries = await this.#storage.list({ prefix: "v:" });
    let next = null;
    for (const [key, entry] of entries) {
      if (entry.expiresAt <= now) await this.#storage.delete(key);
      else next = next === null ? entry.expiresAt : Math.min(next, entry.expiresAt);
    }
    if (next !== null) await this.#storage.setAlarm(next);
  }
}

/** cache.store over a Durable Object namespace bound to EntraEdgeTokenCache. */
export class DurableObjectStore {
  #namespace;
  #owners = new LeaseOwners();

  constructor(namespace) {
    if (typeof namespace?.idFromName !== "function" || typeof namespace?.get !== "function") {
      throw new TypeError("DurableObjectStore: pass the Durable Object namespace binding of EntraEdgeTokenCache (env.TOKEN_CACHE_DO)");
    }
    this.#namespace = namespace;
  }

  async #call(key, operation) {
    // The entry, its failure record (Retry-After window, lease holder error) and its lease share the token's object.
    const name = key.replace(/:(lease|outcome)$/, "");
    const stub = this.#namespace.get(this.#namespace.idFromName(name));
    const res = await stub.fetch(ORIGIN, { method: "POST", body: JSON.stringify({ ...operation, key }) });
    if (!res.ok) throw new Error(`the EntraEdgeTokenCache object answered ${res.status}: ${(await res.text()).slice(0, 200)}`);
    return res.json();
  }

  get(key) {
    return this.#call(key, { op: "get" });
  }

  async put(key, value, { expirationTtl } = {}) {
    await this.#call(key, { op: "put", value, ttlSeconds: expirationTtl });
  }

  async delete(key) {
    await this.#call(key, { op: "delete" });
  }

  lease(key, ttlMs) {
    return this.#owners.take(key, (owner) => this.#call(key, { op: "lease", ttlMs, owner }));
  }

  release(key) {
    return this.#owners.release(key, (owner) => this.#call(key, { op: "release", owner }));
  }
}
