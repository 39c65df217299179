// The public API over the wasm core: results get Dates, rejections get error classes.
import { WasmClient, adminConsentUrl as wasmConsentUrl, scopeForResource as wasmScope } from "../pkg/entra_edge.js";
import { configError, toError } from "./errors.js";
import { ensureWasm } from "./loader.js";
import { cipherFor } from "./cipher.js";

import { createAuthorizedFetch } from "./authorized-fetch.js";
import { ACQUIRE, AppCredential, MEMO, NOTE, NOW, withCp1 } from "./credentials.js";
import { hitResult, isPlain, Memo, preparedKey, toResult } from "./memo.js";
import { telemetryFor } from "./telemetry.js";

export { AuthError, ClientConfigurationError, ConsentRequiredError, NetworkError, ServerError, ThrottledError } from "./errors.js";

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
  // The core's fresh answers (memo.js): a memory hit never calls into the wasm.
  #memo;
  #configuration;
  #now;
  #log;
  // Whether an eviction of a valid token was logged (once per app).
  #boundWarned = false;
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
    // Bounded as the core's memory level is; what it evicts, the core drops too, so both stay
    // bounded (the core saw none of this level's hits).
    const maxEntries = this.#core.maxEntries;
    this.#memo = new Memo(maxEntries, (key, entry) => {
      this.#core.forget(key);
      // A token evicted before it expires is asked for again (store or identity provider): when
      // an app holds more tokens than the bound, most calls can be. Said once.
      if (this.#boundWarned || !(this.#now() < entry.expiresOn)) return;
      this.#boundWarned = true;
      this.#core.warn(`cache.maxEntries (${maxEntries}) evicted a token that was still valid: this app holds more tokens (tenants x scopes) than its memory bound, so requests for evicted tokens go to the store${configuration.cache?.store ? "" : " (none configured: to the identity provider)"} again. Raise cache.maxEntries (a cached token takes its length plus about 2 KB) or set cache.store; stats().memoryEvictions counts evictions`);
    });
    // The clock the core reads (validated there), so both levels agree on serveUntil.
    this.#now = configuration.system?.now ?? Date.now;
    // The core's memory-hit line, bound to the configured logger at the core's level, or
    // undefined when the logger does not take such lines.
    const hit = this.#core.memoryHitLogger();
    this.#log = hit && (() => {
      try {
        hit();
      } catch {
        // A throwing logger must not fail an acquisition.
      }
    });
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

  /** A memory hit: `entry` is served (marked used, counted, logged). */
  #served(entry) {
    entry.used = true;
    this.#memoHits++;
    if (this.#log !== undefined) this.#log();
    return entry;
  }

  /** The memo's entry for `request` when it may answer it now, else undefined. */
  #hit(request) {
    const entry = this.#memo.lookup(request);
    if (entry === undefined || !isPlain(request) || !(this.#now() < entry.serveUntil)) return undefined;
    return this.#served(entry);
  }

  /** The credentials' memory hit: a plain request of `scope` and maybe `tenantId`, built by them. */
  [MEMO](scope, tenantId) {
    const entry = this.#memo.find(scope, tenantId);
    if (entry === undefined || !(this.#now() < entry.serveUntil)) return undefined;
    return this.#served(entry);
  }

  /** The core's answer to `request`, kept in the memo when the core says until when it holds. */
  #ask(request) {
    const telemetry = this.#telemetry;
    const start = telemetry && performance.now();
    // The request's key lets the core prepare it once (see WasmClient.acquire).
    return this.#core.acquire(request, preparedKey(request)).then(
      (r) => {
        // As in the core: a skipCache or claims answer replaces the entry under its key; an
        // answer without serveUntil (refresh due, stale) removes it.
        if (r.serveUntil === undefined) this.#memo.drop(r.key);
        else this.#memo.remember(r, request);
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

  /**
   * The answer to `request` as the memo or the core holds it (times in epoch ms): a memo entry
   * has no tokenSource. The authorized fetch reads it directly.
   */
  [ACQUIRE](request) {
    const entry = this.#hit(request);
    return entry === undefined ? this.#ask(request) : Promise.resolve(entry);
  }

  /** The clock the core reads: the authorized fetch compares a token's issuedAt with it. */
  [NOW]() {
    return this.#now();
  }

  /** Logs a note on the configuration (an option accepted that changes nothing), as the core does its own. */
  [NOTE](message) {
    this.#core.note(message);
  }

  // Not async: a memory hit is one settled promise, not an async function's two layers.
  acquireTokenByClientCredential(request) {
    let entry;
    try {
      entry = this.#hit(request);
    } catch (e) {
      return Promise.reject(e);
    }
    return entry === undefined ? this.#ask(request).then(toResult) : Promise.resolve(hitResult(entry));
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
