// The JavaScript copy of the core's memory level: its fresh answers, repeated without calling
// into the wasm until their serveUntil (decided by the core), and the memory hit's result.

// How many spellings of a request an entry keeps (the oldest goes first).
const SPELLINGS = 4;
// The spellings of an entry that has none yet (never written to).
const NONE = Object.freeze([]);

/**
 * The core's answers by the core's own cache key, which every answer carries: one key, so
 * whatever the core replaces (a claims token after a revocation) replaces the answer for every
 * spelling of the request. Requests as written reach an entry without building a key string:
 * one scope (and maybe a tenantId) through two Map lookups by the caller's own strings (a key
 * concatenated and hashed afresh on every hit was about 0.9 µs of a hit with a tenantId:
 * BENCHMARKS.md); any other spelling through its JSON. Separate maps keep the spellings apart
 * whatever characters the strings hold, so a tenantId cannot be crafted to read another
 * tenant's entry.
 *
 * Bounded as the core's memory level is (cache.maxEntries), evicting by the clock algorithm: a
 * hit only marks its entry used; past the bound, used entries from the oldest on get a second
 * chance (moved to the end) until an unused one is evicted, with its spellings.
 */
export class Memo {
  // Core key -> entry, oldest first. An entry holds what a memory hit needs, its core key, the
  // clock's used mark, and its spellings as [map, key, scope] triples (scope: the #byScope
  // key whose map it is, so an emptied map goes too).
  #entries = new Map();
  // Scope -> Map(tenantId or undefined -> entry): requests of one scope, no authority or region.
  #byScope = new Map();
  // JSON of [scopes, tenantId, authority, azureRegion] -> entry: every other spelling.
  #other = new Map();
  #maxEntries;
  #evicted;

  /** At most `maxEntries` entries; `evicted(key, entry)` hears of each eviction (the core follows). */
  constructor(maxEntries, evicted) {
    this.#maxEntries = maxEntries;
    this.#evicted = evicted;
  }

  /** The entry of a request of one scope, maybe with a tenantId (the credentials' spelling). */
  find(scope, tenantId) {
    return this.#byScope.get(scope)?.get(tenantId);
  }

  /** The entry `request` spells, if any. Strings are compared as Map keys, so anything else misses. */
  lookup(request) {
    const scopes = request?.scopes;
    if (!Array.isArray(scopes)) return undefined;
    if (keptByScope(request, scopes)) {
      return this.#byScope.get(scopes[0])?.get(request.tenantId);
    }
    const key = otherKey(request, scopes);
    return key === undefined ? undefined : this.#other.get(key);
  }

  /**
   * Keeps what a memory hit needs of answer `r` to `request`, small: strings the caller already
   * holds (its scope, its tenant) are reused, the token is the core's own string. An entry
   * already under `r.key` is replaced for all its spellings.
   */
  remember(r, request) {
    const scopes = request.scopes;
    const scope = Array.isArray(scopes) && scopes.length === 1 && scopes[0] === r.scopes[0] ? scopes[0] : undefined;
    const held = this.#entries.get(r.key);
    const entry = {
      accessToken: r.accessToken,
      tokenType: r.tokenType === "Bearer" ? "Bearer" : r.tokenType,
      expiresOn: r.expiresOn,
      extExpiresOn: r.extExpiresOn,
      refreshOn: r.refreshOn,
      scopes: scope ?? r.scopes,
      tenantId: r.tenantId === request.tenantId ? request.tenantId : r.tenantId,
      serveUntil: r.serveUntil,
      issuedAt: r.issuedAt,
      key: r.key,
      used: false,
      spellings: held === undefined ? NONE : held.spellings,
    };
    if (held !== undefined) {
      this.#entries.delete(r.key);
      const s = entry.spellings;
      for (let i = 0; i < s.length; i += 3) s[i].set(s[i + 1], entry);
    }
    this.#entries.set(r.key, entry);
    this.#spell(entry, request);
    if (this.#entries.size > this.#maxEntries) this.#evictOne();
  }

  /** Drops the entry under core key `key` (the core answered without serveUntil). */
  drop(key) {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    this.#entries.delete(key);
    this.#unspellAll(entry);
  }

  clear() {
    this.#entries.clear();
    this.#byScope.clear();
    this.#other.clear();
  }

  /** Points the request as written at `entry`. */
  #spell(entry, request) {
    const scopes = request.scopes;
    if (!Array.isArray(scopes)) return;
    let map;
    let key;
    let scope;
    if (keptByScope(request, scopes)) {
      [scope, key] = [scopes[0], request.tenantId];
      if (typeof scope !== "string" || (key !== undefined && typeof key !== "string")) return;
      map = this.#byScope.get(scope);
      if (map === undefined) this.#byScope.set(scope, (map = new Map()));
    } else {
      key = otherKey(request, scopes);
      if (key === undefined) return;
      map = this.#other;
    }
    const before = map.get(key);
    if (before === entry) return;
    if (before !== undefined) removeSpelling(before.spellings, map, key);
    map.set(key, entry);
    const s = entry.spellings;
    // Most entries have one spelling: an array of exactly three (push would reserve 17).
    if (s.length === 0) {
      entry.spellings = [map, key, scope];
      return;
    }
    s.push(map, key, scope);
    if (s.length > 3 * SPELLINGS) this.#unspell(...s.splice(0, 3));
  }

  #unspell(map, key, scope) {
    map.delete(key);
    if (scope !== undefined && map.size === 0 && this.#byScope.get(scope) === map) this.#byScope.delete(scope);
  }

  #unspellAll(entry) {
    const s = entry.spellings;
    for (let i = 0; i < s.length; i += 3) this.#unspell(s[i], s[i + 1], s[i + 2]);
  }

  #evictOne() {
    for (const [key, entry] of this.#entries) {
      this.#entries.delete(key);
      if (!entry.used) {
        this.#unspellAll(entry);
        this.#evicted(key, entry);
        return;
      }
      entry.used = false;
      this.#entries.set(key, entry);
    }
  }
}

/** Whether a request of `scopes` is kept in #byScope: one scope, no authority, no region. */
function keptByScope(request, scopes) {
  return scopes.length === 1 && request.authority === undefined && request.azureRegion === undefined;
}

/** The #other key of a request: JSON of its scopes and tenant choice, when all are strings. */
function otherKey(request, scopes) {
  const { tenantId, authority, azureRegion } = request;
  for (const v of [tenantId, authority, azureRegion]) if (v !== undefined && typeof v !== "string") return undefined;
  if (!scopes.every((s) => typeof s === "string")) return undefined;
  return JSON.stringify([scopes, tenantId ?? null, authority ?? null, azureRegion ?? null]);
}

/**
 * The key under which the core keeps a request prepared (WasmClient.acquire), or undefined:
 * for a request of scopes, the tenant choice and maybe waitUntil and skipCache, JSON of its
 * scopes and tenant choice, marked when it skips the cache. Two requests share it only when
 * they prepare the same way; anything else (claims, a correlationId, bad input) is read and
 * validated by the core every time.
 */
export function preparedKey(request) {
  const scopes = request?.scopes;
  const shape = Array.isArray(scopes) ? extras(request) : OTHER;
  if (shape === OTHER) return undefined;
  const key = otherKey(request, scopes);
  return key !== undefined && shape === SKIP ? `skip${key}` : key;
}

function removeSpelling(spellings, map, key) {
  for (let i = 0; i < spellings.length; i += 3) {
    if (spellings[i] === map && spellings[i + 1] === key) {
      spellings.splice(i, 3);
      return;
    }
  }
}

// What a request holds besides its scopes and tenant choice (tenantId, authority, azureRegion):
// PLAIN (maybe waitUntil, maybe skipCache: false), SKIP (skipCache: true as well), or OTHER (any
// other name, or a value of the wrong type: the core reads and validates it).
const PLAIN = 0;
const SKIP = 1;
const OTHER = 2;

function extras(request) {
  let shape = PLAIN;
  for (const name in request) {
    if (name === "scopes" || name === "tenantId" || name === "authority" || name === "azureRegion") continue;
    const value = request[name];
    if (name === "waitUntil" && (value === undefined || typeof value === "function")) continue;
    if (name === "skipCache" && (value === undefined || typeof value === "boolean")) {
      if (value) shape = SKIP;
      continue;
    }
    return OTHER;
  }
  return shape;
}

/** Whether a request may be answered from the memo: nothing but its scopes and tenant choice. */
export function isPlain(request) {
  return extras(request) === PLAIN;
}

// A memory hit sends nothing, so its correlation id only has to be unique: a random prefix made
// on first use (never at import: workerd forbids randomness there) and a counter, in a v4 UUID's
// shape. The counter's last two hex digits come from a table and are appended to a head
// rebuilt every 256 ids, so an id is one string concatenation (BENCHMARKS.md, issue 24).
let hitIdRandom;
let hitIdHead;
let hitIdBlock = -1;
let hitIdLow = 256;
let hex2;
export function hitCorrelationId() {
  if (hitIdLow === 256) {
    hitIdRandom ??= crypto.randomUUID().slice(0, 24);
    hex2 ??= Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
    hitIdBlock = (hitIdBlock + 1) % 0x10000000000;
    hitIdHead = hitIdRandom + hitIdBlock.toString(16).padStart(10, "0");
    hitIdLow = 0;
  }
  return hitIdHead + hex2[hitIdLow++];
}

function toDate(ms) {
  return ms == null ? null : new Date(ms);
}

/** The public result of an answer (the core's, or a memo entry with the hit's id and source). */
export function toResult(r, correlationId = r.correlationId, tokenSource = r.tokenSource) {
  return {
    accessToken: r.accessToken,
    tokenType: r.tokenType,
    expiresOn: new Date(r.expiresOn),
    extExpiresOn: toDate(r.extExpiresOn),
    refreshOn: toDate(r.refreshOn),
    scopes: typeof r.scopes === "string" ? [r.scopes] : [...r.scopes],
    tenantId: r.tenantId,
    fromCache: tokenSource !== "identityProvider",
    tokenSource,
    correlationId,
  };
}

/** The result of a memory hit on `entry`. */
export function hitResult(entry) {
  return toResult(entry, hitCorrelationId(), "memory");
}
