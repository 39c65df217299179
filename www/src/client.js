// The public API over the wasm core: results get Dates, rejections get error classes.
import { WasmClient, adminConsentUrl as wasmConsentUrl, scopeForResource as wasmScope } from "../pkg/entra_edge.js";
import { toError } from "./errors.js";
import { ensureWasm } from "./loader.js";

import { createAuthorizedFetch } from "./authorized-fetch.js";

export { AuthError, ClientConfigurationError, ConsentRequiredError, NetworkError, ServerError, ThrottledError } from "./errors.js";

function toDate(ms) {
  return ms == null ? null : new Date(ms);
}

function toResult(r, correlationId = r.correlationId, tokenSource = r.tokenSource) {
  return {
    accessToken: r.accessToken,
    tokenType: r.tokenType,
    expiresOn: new Date(r.expiresOn),
    extExpiresOn: toDate(r.extExpiresOn),
    refreshOn: toDate(r.refreshOn),
    scopes: [...r.scopes],
    tenantId: r.tenantId,
    fromCache: tokenSource !== "identityProvider",
    tokenSource,
    correlationId,
  };
}

/**
 * The memo key of a request: its scopes and tenant choice as given, or undefined when they are
 * not strings. JSON, so that ["a b"] and ["a", "b"] never share an entry.
 */
function memoKey(request) {
  const scopes = request?.scopes;
  if (!Array.isArray(scopes) || !scopes.every((s) => typeof s === "string")) return undefined;
  const { tenantId, authority, azureRegion } = request;
  for (const v of [tenantId, authority, azureRegion]) if (v !== undefined && typeof v !== "string") return undefined;
  return JSON.stringify([scopes, tenantId ?? null, authority ?? null, azureRegion ?? null]);
}

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

/** The memo's log line, through the configured logger (ours, or msal-node's loggerOptions). */
function logFor(system) {
  const call = (fn, level) => (message) => {
    try {
      fn(level, message, false);
    } catch {
      // A throwing logger must not fail an acquisition.
    }
  };
  if (typeof system?.logger === "function") return call(system.logger, "verbose");
  const options = system?.loggerOptions;
  if (typeof options?.loggerCallback === "function" && (options.logLevel ?? LogLevel.Info) >= LogLevel.Verbose) {
    return call(options.loggerCallback, LogLevel.Verbose);
  }
  return () => {};
}

function rethrow(e) {
  throw toError(e);
}

export class ConfidentialClientApplication {
  #core;
  // The core's memory answers, repeated without calling into the wasm until their serveUntil
  // (the earlier of refreshOn and the expiry buffer, decided by the core). Keyed by the scopes
  // as given; a memory hit is then a Map lookup and a result object. Bounded as the core's
  // memory level is (cache.maxEntries): a Map keeps insertion order, so re-inserting on use
  // keeps the least recently used first.
  #memo = new Map();
  #maxEntries;
  #now;
  #log;

  constructor(configuration) {
    ensureWasm();
    try {
      this.#core = new WasmClient(configuration);
    } catch (e) {
      rethrow(e);
    }
    // Validated by the core above.
    this.#maxEntries = configuration.cache?.maxEntries ?? 10_000;
    this.#now = configuration.system?.now ?? Date.now;
    this.#log = logFor(configuration.system);
  }

  #remember(key, answer) {
    this.#memo.delete(key);
    this.#memo.set(key, answer);
    if (this.#memo.size > this.#maxEntries) {
      const [oldest, evicted] = this.#memo.entries().next().value;
      this.#memo.delete(oldest);
      // The core saw none of this level's hits: it drops the entry too, so both stay bounded.
      this.#core.forget(evicted.cacheKey);
    }
  }

  async acquireTokenByClientCredential(request) {
    const key = memoKey(request);
    const memo = key === undefined ? undefined : this.#memo.get(key);
    if (memo !== undefined && this.#now() < memo.serveUntil && isPlain(request)) {
      this.#remember(key, memo);
      this.#log("token served from the memory cache");
      return toResult(memo, crypto.randomUUID(), "memory");
    }
    return this.#core.acquire(request).then((r) => {
      // Keyed by the scopes alone: a skipCache or claims answer replaces the plain request's
      // entry, as in the core; an answer without serveUntil (refresh due, stale) removes it.
      if (r.serveUntil === undefined) this.#memo.delete(key);
      else this.#remember(key, r);
      return toResult(r);
    }, rethrow);
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

  async clearCache() {
    this.#memo.clear();
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
