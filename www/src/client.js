// The public API over the wasm core: results get Dates, rejections get error classes.
import { WasmClient, adminConsentUrl as wasmConsentUrl, scopeForResource as wasmScope } from "../pkg/entra_edge.js";
import { configError, toError } from "./errors.js";
import { ensureWasm } from "./loader.js";
import { cipherFor } from "./cipher.js";

import { createAuthorizedFetch } from "./authorized-fetch.js";
import { ACQUIRE, AppCredential, NOTE, NOW, withCp1 } from "./credentials.js";
import { telemetryFor } from "./telemetry.js";

export { AuthError, ClientConfigurationError, ConsentRequiredError, NetworkError, ServerError, ThrottledError } from "./errors.js";

function toDate(ms) {
  return ms == null ? null : new Date(ms);
}

// A memory hit sends nothing, so its correlation id only has to be unique: a random prefix made
// on first use (never at import) and a counter, in a v4 UUID's shape. crypto.randomUUID() on
// every hit was about a quarter of an awaited hit in Node (BENCHMARKS.md, issue 24).
let hitIdPrefix;
let hitIdCount = 0;
function hitCorrelationId() {
  hitIdPrefix ??= crypto.randomUUID().slice(0, 24);
  hitIdCount = (hitIdCount + 1) % 0x1000000000000;
  return hitIdPrefix + hitIdCount.toString(16).padStart(12, "0");
}

function toResult(r, correlationId = r.correlationId, tokenSource = r.tokenSource) {
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

// Valid scopes, tenants, authorities and regions hold no control character: a request with one
// goes to the core (and fails there), so the separators below cannot be forged.
const CONTROL = /[\u0000-\u001f]/;

/**
 * The memo key of a request: its scopes and tenant choice as given, or undefined when they are
 * not plain strings. One scope (Entra) is its own key; a list is JSON, so that ["a b"] and
 * ["a", "b"] never share an entry.
 */
function memoKey(request) {
  const scopes = request?.scopes;
  if (!Array.isArray(scopes)) return undefined;
  let key;
  if (scopes.length === 1 && typeof scopes[0] === "string") key = scopes[0];
  else if (scopes.every((s) => typeof s === "string")) key = `\u0000${JSON.stringify(scopes)}`;
  else return undefined;
  const { tenantId, authority, azureRegion } = request;
  if (tenantId !== undefined || authority !== undefined || azureRegion !== undefined) {
    for (const v of [tenantId, authority, azureRegion]) if (v !== undefined && typeof v !== "string") return undefined;
    key = `${key}\u0001${tenantId ?? ""}\u0001${authority ?? ""}\u0001${azureRegion ?? ""}`;
    if (CONTROL.test(`${scopes[0]}${tenantId ?? ""}${authority ?? ""}${azureRegion ?? ""}`)) return undefined;
  } else if (CONTROL.test(scopes[0])) {
    return undefined;
  }
  return key;
}

// How many spellings of a request the memo remembers per entry it may hold.
const ALIASES_PER_ENTRY = 4;

// Names a plain request may have (besides skipCache: false): the memo answers it as the core would.
const PLAIN = new Set(["scopes", "tenantId", "authority", "azureRegion"]);

/**
 * Whether a request may be answered from the memo: scopes and the tenant choice, maybe
 * waitUntil, maybe skipCache: false. Anything else (skipCache, claims, correlationId, any other
 * name, bad input) goes to the core, which validates it.
 */
function isPlain(request) {
  for (const name in request) {
    const value = request[name];
    if (PLAIN.has(name)) continue;
    if (name === "waitUntil" && (value === undefined || typeof value === "function")) continue;
    if (name === "skipCache" && (value === undefined || value === false)) continue;
    return false;
  }
  return true;
}

/** msal's log levels, for system.loggerOptions (msal-node's `LogLevel`). */
export const LogLevel = Object.freeze({ Error: 0, Warning: 1, Info: 2, Verbose: 3, Trace: 4 });

/** msal's cloud instances, for auth.azureCloudOptions (msal-node's `AzureCloudInstance`). */
export const AzureCloudInstance = Object.freeze({
  None: "none",
  AzurePublic: "https://login.microsoftonline.com",
  AzureChina: "https://login.chinacloudapi.cn",
  AzureGermany: "https://login.microsoftonline.de",
  AzureUsGovernment: "https://login.microsoftonline.us",
});

function rethrow(e) {
  throw toError(e);
}

export class ConfidentialClientApplication {
  #core;
  // The core's memory answers, repeated without calling into the wasm until their serveUntil
  // (the earlier of refreshOn and the expiry buffer, decided by the core). Keyed by the core's
  // own cache key, which every answer carries: one key, so whatever the core replaces (a claims
  // token after a revocation) replaces the answer for every spelling of the request. Requests
  // as written find that key through #aliases; a memory hit is then two Map lookups.
  // Bounded as the core's memory level is (cache.maxEntries), evicting by the clock algorithm:
  // a hit only marks its entry used; past the bound, used entries from the oldest on get a
  // second chance (moved to the end) until an unused one is evicted.
  #memo = new Map();
  // Request as written (memoKey) -> the core's cache key, bounded alike (oldest first).
  #aliases = new Map();
  #configuration;
  #maxEntries;
  #now;
  #log;
  // Hits the memo answered without calling in: the core counts the rest (stats()).
  #memoHits = 0;
  // The refreshDue of system.refreshTimer still running: a tick does not start a second one.
  #timerRun;
  // system.telemetry (OpenTelemetry), or undefined: then nothing is measured.
  #telemetry;

  constructor(configuration) {
    ensureWasm();
    try {
      this.#core = new WasmClient(configuration, cipherFor);
    } catch (e) {
      rethrow(e);
    }
    this.#configuration = configuration;
    this.#maxEntries = this.#core.maxEntries;
    // The clock the core reads (validated there), so both levels agree on serveUntil.
    this.#now = configuration.system?.now ?? Date.now;
    // The core's memory-hit line, bound to the configured logger at the core's level.
    const hit = this.#core.memoryHitLogger();
    this.#log = hit
      ? () => {
          try {
            hit();
          } catch {
            // A throwing logger must not fail an acquisition.
          }
        }
      : () => {};
    this.#telemetry = telemetryFor(configuration.system?.telemetry, () => this.stats());
    const period = this.#core.refreshTimerMs;
    if (period !== undefined) {
      // A Worker's or an Edge function's timers live and die with one request: a schedule
      // comes from the platform there.
      if (globalThis.navigator?.userAgent === "Cloudflare-Workers") {
        throw configError("invalid_config", "system.refreshTimer is for long-lived processes: in a Worker, add a Cron Trigger ([triggers] crons in wrangler.toml) whose scheduled handler calls ctx.waitUntil(app.refreshDue())");
      }
      if (typeof globalThis.EdgeRuntime === "string") {
        throw configError("invalid_config", "system.refreshTimer is for long-lived processes: in Vercel's Edge runtime, call app.refreshDue() from a route a Vercel Cron Job requests");
      }
      this.#startRefreshTimer(period);
    }
  }

  /**
   * system.refreshTimer (Node, Deno, Bun): refreshDue every `period` ms on an unref'd timer, so
   * a daemon still exits when its work is done. A run still going when the next tick comes is
   * left be.
   */
  #startRefreshTimer(period) {
    const timer = setInterval(() => {
      this.#timerRun ??= this.refreshDue()
        .catch(() => {})
        .finally(() => {
          this.#timerRun = undefined;
        });
    }, period);
    // Node and Bun timers have unref(); Deno's are numbers, unref'd through Deno.unrefTimer.
    if (typeof timer.unref === "function") timer.unref();
    else globalThis.Deno?.unrefTimer?.(timer);
  }

  /**
   * Keeps what a memory hit needs of answer `r` to `request`, small: strings the caller already
   * holds (its scope, its tenant) are reused, the token is the core's own string.
   */
  #remember(r, request) {
    const scopes = request.scopes;
    const scope = Array.isArray(scopes) && scopes.length === 1 && scopes[0] === r.scopes[0] ? scopes[0] : undefined;
    this.#memo.delete(r.key);
    this.#memo.set(r.key, {
      accessToken: r.accessToken,
      tokenType: r.tokenType === "Bearer" ? "Bearer" : r.tokenType,
      expiresOn: r.expiresOn,
      extExpiresOn: r.extExpiresOn,
      refreshOn: r.refreshOn,
      scopes: scope ?? r.scopes,
      tenantId: r.tenantId === request.tenantId ? request.tenantId : r.tenantId,
      serveUntil: r.serveUntil,
      issuedAt: r.issuedAt,
      used: false,
    });
    if (this.#memo.size <= this.#maxEntries) return;
    for (const [k, entry] of this.#memo) {
      this.#memo.delete(k);
      if (!entry.used) {
        // The core saw none of this level's hits: it drops the entry too, so both stay bounded.
        this.#core.forget(k);
        return;
      }
      entry.used = false;
      this.#memo.set(k, entry);
    }
  }

  /**
   * Points the request as written at the core's key, dropping the oldest alias past the bound:
   * a few spellings per entry (an alias without its entry only misses).
   */
  #alias(key, coreKey) {
    if (this.#aliases.get(key) === coreKey) return;
    this.#aliases.delete(key);
    this.#aliases.set(key, coreKey);
    if (this.#aliases.size > ALIASES_PER_ENTRY * this.#maxEntries) this.#aliases.delete(this.#aliases.keys().next().value);
  }

  /**
   * The answer to `request` as the memo or the core holds it (times in epoch ms): a memo entry
   * has no tokenSource. The credentials read it directly; the public call makes its result.
   */
  [ACQUIRE](request) {
    const key = memoKey(request);
    const coreKey = key === undefined ? undefined : this.#aliases.get(key);
    const memo = coreKey === undefined ? undefined : this.#memo.get(coreKey);
    if (memo !== undefined && this.#now() < memo.serveUntil && isPlain(request)) {
      memo.used = true;
      this.#memoHits++;
      this.#log();
      return Promise.resolve(memo);
    }
    const telemetry = this.#telemetry;
    const start = telemetry && performance.now();
    // A plain request's key lets the core prepare it once (see WasmClient.acquire).
    const plain = key !== undefined && isPlain(request) ? key : undefined;
    return this.#core.acquire(request, plain).then(
      (r) => {
        // As in the core: a skipCache or claims answer replaces the entry under its key; an
        // answer without serveUntil (refresh due, stale) removes it.
        if (r.serveUntil === undefined) this.#memo.delete(r.key);
        else this.#remember(r, request);
        if (key !== undefined) this.#alias(key, r.key);
        // A stale serve left the memory level too: it made token requests.
        if (telemetry && (r.tokenSource !== "memory" || r.attempts > 0)) telemetry.acquired(start, r);
        return r;
      },
      (e) => {
        telemetry?.failed(start, e);
        rethrow(e);
      },
    );
  }

  /** The clock the core reads: the authorized fetch compares a token's issuedAt with it. */
  [NOW]() {
    return this.#now();
  }

  /** Logs a note on the configuration (an option accepted that changes nothing), as the core does its own. */
  [NOTE](message) {
    this.#core.note(message);
  }

  async acquireTokenByClientCredential(request) {
    const r = await this[ACQUIRE](request);
    return r.tokenSource === undefined ? toResult(r, hitCorrelationId(), "memory") : toResult(r);
  }


  /**
   * This app as an Azure SDK credential (@azure/core-auth's TokenCredential). `enableCae`
   * requests go to a sibling app that adds the cp1 capability (its tokens are cached apart).
   */
  asTokenCredential() {
    return new AppCredential((cae) => {
      const configuration = cae ? withCp1(this.#configuration) : this.#configuration;
      return configuration === this.#configuration ? this : new ConfidentialClientApplication(configuration);
    });
  }

  /** MSAL.NET / MSAL Python name for the same call. */
  acquireTokenForClient(request) {
    return this.acquireTokenByClientCredential(request);
  }

  /**
   * A function with fetch's signature that sends the app's bearer token, re-acquires once on a
   * 401 (with the claims of a claims challenge), and throws ConsentRequiredError on Graph's
   * 403 Authorization_RequestDenied. Other responses come back untouched.
   */
  createAuthorizedFetch(options) {
    return createAuthorizedFetch(this, this.#core, options);
  }

  /**
   * Renews every token due within `withinMs` (default 10 minutes) and the cache.keepWarm
   * tokens, through the same acquisitions and flights as a background refresh: for a Workers
   * Cron Trigger or a timer. Resolves to `{ refreshed, skipped, failed }`.
   */
  refreshDue(options) {
    return this.#core.refreshDue(options).catch(rethrow);
  }

  /** Counters since construction (numbers only): the core's, plus the memo's hits. */
  stats() {
    const stats = this.#core.stats();
    stats.results.memory += this.#memoHits;
    return stats;
  }

  async clearCache() {
    this.#memo.clear();
    this.#aliases.clear();
    return this.#core.clearCache().catch(rethrow);
  }
}

export function scopeForResource(resource) {
  ensureWasm();
  try {
    return wasmScope(resource);
  } catch (e) {
    rethrow(e);
  }
}

export function adminConsentUrl(options) {
  ensureWasm();
  try {
    return wasmConsentUrl(options ?? {});
  } catch (e) {
    rethrow(e);
  }
}
