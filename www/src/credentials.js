// Azure SDK credentials (@azure/core-auth's TokenCredential) with @azure/identity's constructors,
// backed by ConfidentialClientApplication: memory and store cache, single-flight, refresh-ahead,
// retries and sealing serve every SDK client. No Azure package is needed at run time.
import { configError as refuse } from "./errors.js";

const DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com";
/** What to do with an encrypted key: this package reads unencrypted PKCS#8 only. */
export const DECRYPT_FIRST = "decrypt it first (openssl pkcs8 -topk8 -nocrypt)";

// @azure/identity's options that mean something here; anything else is refused by name.
const OPTIONS = new Set(["authorityHost", "additionallyAllowedTenants", "sendCertificateChain", "cache", "system", "disableInstanceDiscovery", "loggingOptions", "retryOptions"]);
// @azure/identity's options that have a better form here.
const INSTEAD = {
  tokenCachePersistenceOptions: "cache: { store } (a KV namespace, FileStore or RedisStore): tokens are cached and shared there, sealed",
  proxyOptions: "system: { fetch } with a proxy dispatcher",
  httpClient: "system: { fetch }",
  additionalPolicies: "system: { fetch } to change how token requests are sent",
  allowInsecureConnection: "nothing: http is allowed for loopback hosts (local identity providers) and refused elsewhere",
  certificatePassword: `an unencrypted key: ${DECRYPT_FIRST} and keep it in a secret store`,
};


/** The app configuration an @azure/identity-style credential stands for. */
export function configurationFor(name, tenantId, clientId, credential, options = {}) {
  if (typeof tenantId !== "string" || tenantId === "") throw refuse("invalid_config", `${name}: tenantId is required, the directory (tenant) ID or domain`);
  if (typeof clientId !== "string" || clientId === "") throw refuse("invalid_config", `${name}: clientId is required, the application (client) ID`);
  if (options === null || typeof options !== "object") throw refuse("invalid_config", `${name}: options must be an object`);
  for (const option of Object.keys(options)) {
    if (option in INSTEAD) throw refuse("unsupported_option", `${name}: options.${option} is @azure/identity's; here use ${INSTEAD[option]}`);
    if (!OPTIONS.has(option)) throw refuse("invalid_config", `${name}: unknown option options.${option}: check its spelling against the documented options`);
  }
  const { authorityHost = DEFAULT_AUTHORITY_HOST, additionallyAllowedTenants, sendCertificateChain, cache, system, retryOptions } = options;
  const auth = {
    clientId,
    authority: `${String(authorityHost).replace(/\/+$/, "")}/${tenantId}`,
    ...credential,
    ...(additionallyAllowedTenants ? { allowedTenants: additionallyAllowedTenants } : {}),
    ...(sendCertificateChain ? { sendX5C: true } : {}),
  };
  const maxRetries = retryOptions?.maxRetries;
  const configuration = {
    auth,
    ...(cache ? { cache } : {}),
    system: { ...(maxRetries !== undefined && system?.maxRetries === undefined ? { maxRetries } : {}), ...system },
  };
  // Accepted, and said once in the log: they change nothing here.
  const notes = [];
  if (options.disableInstanceDiscovery !== undefined) notes.push(`${name}: options.disableInstanceDiscovery changes nothing: no instance discovery is done`);
  if (options.loggingOptions !== undefined) notes.push(`${name}: options.loggingOptions changes nothing: log lines go to system.logger`);
  const other = retryOptions && Object.keys(retryOptions).filter((k) => k !== "maxRetries");
  if (other?.length) notes.push(`${name}: options.retryOptions.${other.join(", ")} change nothing: retries follow system.maxRetries and system.deadlineMs`);
  return { configuration, notes };
}

/** `configuration` with the cp1 client capability (CAE), as `getToken`'s `enableCae` asks. */
export function withCp1(configuration) {
  const capabilities = configuration.auth.clientCapabilities ?? [];
  if (capabilities.includes("cp1")) return configuration;
  return { ...configuration, auth: { ...configuration.auth, clientCapabilities: [...capabilities, "cp1"] } };
}

// ConfidentialClientApplication's internal entry points for the credentials.
/** `app[ACQUIRE](request)`: the answer with times in epoch ms, before the public result is made. */
export const ACQUIRE = Symbol("entra-edge acquire");
/**
 * `app[MEMO](scope, tenantId)`: the memo's entry for a plain request of one scope (and maybe a
 * tenant) when a memory hit may answer it now, counted and logged as one; else undefined.
 */
export const MEMO = Symbol("entra-edge memo");
/** `app[NOTE](message)`: logs a note on the configuration through the app's logger. */
export const NOTE = Symbol("entra-edge note");
/** `app[NOW]()`: the app's clock (system.now or Date.now), in epoch ms. */
export const NOW = Symbol("entra-edge now");

/** `{ certificate }` (one PEM: the private key and the chain, leaf first) as clientCertificate. */
export function certificateFromPem(name, pem) {
  if (typeof pem !== "string") throw refuse("invalid_certificate", `${name}: certificate must be PEM text with the private key and the certificate`);
  const key = /-----BEGIN ((?:RSA |EC |ENCRYPTED )?PRIVATE KEY)-----[\s\S]+?-----END \1-----/.exec(pem);
  const chain = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!key || !chain) {
    throw refuse("invalid_certificate", `${name}: the PEM must hold the private key (BEGIN PRIVATE KEY) and the certificate (BEGIN CERTIFICATE), as @azure/identity's certificate files do`);
  }
  return { privateKey: key[0], x5c: chain.join("\n") };
}

/**
 * A TokenCredential over `make(capabilities)`, an app factory: the CAE variant (cp1) is a second
 * app, made on first use, so CAE and other tokens are cached apart (as @azure/identity does).
 */
export class AppCredential {
  #make;
  #app;
  #cae;

  constructor(make) {
    this.#make = make;
    this.#app = make(false);
  }

  /** The counters of the app behind this credential (and its CAE sibling, when made). */
  stats() {
    // A managed identity's CAE app is its one app; an unavailable one has none.
    const apps = [this.#app, this.#cae].filter((app, i, all) => app && all.indexOf(app) === i);
    return apps.length ? apps.map((app) => app.stats()).reduce(addStats) : emptyStats();
  }

  /**
   * @azure/core-auth's getToken: `scopes` a string or an array; `claims` (a claims challenge, as
   * the SDKs' bearer policy passes it) bypasses the cache; `tenantId` follows
   * auth.allowedTenants; `enableCae` adds cp1; `abortSignal` stops this caller's wait only.
   */
  getToken(scopes, options = {}) {
    // Not async: a memory hit is one settled promise. Whatever throws still rejects.
    try {
      const app = options.enableCae ? (this.#cae ??= this.#make(true)) : this.#app;
      const one = typeof scopes === "string" ? scopes : Array.isArray(scopes) && scopes.length === 1 ? scopes[0] : undefined;
      if (one !== undefined && !options.claims && !options.abortSignal?.aborted) {
        const entry = app[MEMO](one, options.tenantId || undefined);
        if (entry !== undefined) return Promise.resolve(accessToken(entry));
      }
      return this.#acquire(app, scopes, options);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async #acquire(app, scopes, options) {
    const request = { scopes: typeof scopes === "string" ? [scopes] : scopes };
    if (options.claims) request.claims = options.claims;
    if (options.tenantId) request.tenantId = options.tenantId;
    const pending = app[ACQUIRE](request);
    return accessToken(await (options.abortSignal ? abortable(pending, options.abortSignal) : pending));
  }
}

/** @azure/core-auth's AccessToken of an answer (times in epoch ms). */
function accessToken(r) {
  const token = { token: r.accessToken, expiresOnTimestamp: r.expiresOn, tokenType: "Bearer" };
  if (r.refreshOn != null) token.refreshAfterTimestamp = r.refreshOn;
  return token;
}

/** app.stats() of an app that has done nothing, for a credential without an app. */
export function emptyStats() {
  return {
    results: { memory: 0, store: 0, identityProvider: 0 },
    tokenRequests: 0,
    retries: 0,
    throttledRefusals: 0,
    staleServes: 0,
    storeReadFailures: 0,
    storeWriteFailures: 0,
    leases: { taken: 0, waited: 0, expired: 0 },
    memoryEvictions: 0,
    cachedKeys: 0,
  };
}

/** `a` with every counter of `b` added, in place. */
function addStats(a, b) {
  for (const [name, value] of Object.entries(b)) {
    if (typeof value === "number") a[name] += value;
    else addStats(a[name], value);
  }
  return a;
}

/** Rejects when `signal` aborts; the shared acquisition goes on for its other callers. */
function abortable(pending, signal) {
  const aborted = () => new DOMException("The operation was aborted.", "AbortError");
  if (signal.aborted) {
    pending.catch(() => {});
    return Promise.reject(aborted());
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(aborted());
    signal.addEventListener("abort", onAbort, { once: true });
    pending.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}
