// Types of the public API (see README and ../shared/API.md). Stable: names and fields are only added.

/** A Workers KV namespace, or any object with this shape. */
export interface KvLike {
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Fleet-wide single-flight: take the lease on `key` for `ttlMs` if nobody holds it (KV cannot). */
  lease?(key: string, ttlMs: number): Promise<boolean>;
  /** Release a lease this store took. */
  release?(key: string): Promise<void>;
}

/** Workers only: cache.store over a Durable Object namespace bound to EntraEdgeTokenCache; it leases. */
export declare class DurableObjectStore implements KvLike {
  constructor(namespace: { idFromName(name: string): unknown; get(id: unknown): { fetch(input: string, init?: RequestInit): Promise<Response> } });
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  delete(key: string): Promise<void>;
  lease(key: string, ttlMs: number): Promise<boolean>;
  release(key: string): Promise<void>;
}

/** Workers only: the Durable Object class to re-export from the Worker (export { EntraEdgeTokenCache } from "entra-edge"). */
export declare class EntraEdgeTokenCache {
  constructor(state: { storage: unknown }, env?: unknown);
  fetch(request: Request): Promise<Response>;
  alarm(): Promise<void>;
}

/**
 * Deno only: cache.store over a Deno KV (`await Deno.openKv(path)`); it leases through an atomic
 * check-and-set, so Deno processes sharing one KV make one token request per key.
 */
export declare class DenoKvStore implements KvLike {
  /** `kv`: a `Deno.Kv` (typed by its shape, so that the types need no Deno declarations). */
  constructor(kv: { get(key: any): Promise<any>; set(key: any, value: any, options?: any): Promise<any>; delete(key: any): Promise<any>; atomic(): any }, options?: { now?: () => number });
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  delete(key: string): Promise<void>;
  lease(key: string, ttlMs: number): Promise<boolean>;
  release(key: string): Promise<void>;
}

export interface ClientCertificate {
  /** PEM: PKCS#8, PKCS#1 (RSA) or SEC1 (EC P-256). */
  privateKey: string;
  /** Hex SHA-256 thumbprint; RSA keys then sign PS256 with `x5t#S256`. */
  thumbprintSha256?: string;
  /** Hex SHA-1 thumbprint; RSA keys then sign RS256 with `x5t` (legacy). */
  thumbprint?: string;
  /** PEM certificate chain, leaf first. */
  x5c?: string;
  /** `kid` header for generic servers. */
  keyId?: string;
}

export interface AssertionContext {
  clientId: string;
  tokenEndpoint: string;
}

/** `system.logger`'s level names. */
export type LogLevel = "error" | "warning" | "info" | "verbose";
/** msal-node's numeric log levels, for `system.loggerOptions` (msal's `LogLevel` enum). */
export declare const LogLevel: { readonly Error: 0; readonly Warning: 1; readonly Info: 2; readonly Verbose: 3; readonly Trace: 4 };
export type MsalLogLevel = 0 | 1 | 2 | 3 | 4;

/** msal-node's cloud instances, for `auth.azureCloudOptions`. */
export declare const AzureCloudInstance: {
  readonly None: "none";
  readonly AzurePublic: "https://login.microsoftonline.com";
  readonly AzureChina: "https://login.chinacloudapi.cn";
  readonly AzureGermany: "https://login.microsoftonline.de";
  readonly AzureUsGovernment: "https://login.microsoftonline.us";
};

/** msal's `INetworkModule`: token requests go through `sendPostRequestAsync`. */
export interface NetworkModule {
  sendGetRequestAsync?(url: string, options?: { headers?: Record<string, string>; body?: string }): Promise<unknown>;
  sendPostRequestAsync(url: string, options?: { headers?: Record<string, string>; body?: string }): Promise<{ headers: Record<string, string>; body: unknown; status: number }>;
}

export interface Configuration {
  auth: {
    clientId: string;
    /** Entra: `https://login.microsoftonline.com/<tenant id or domain>`. Exactly one of authority / tokenEndpoint. */
    authority?: string;
    /** Any OAuth 2.0 server's token endpoint. */
    tokenEndpoint?: string;
    /** Generic servers: the assertion `aud` when the server wants its issuer. */
    issuer?: string;
    clientSecret?: string;
    clientCertificate?: ClientCertificate;
    clientAssertion?: string | ((ctx: AssertionContext) => string | Promise<string>);
    /** Default `client_secret_post`. */
    clientAuthMethod?: "client_secret_post" | "client_secret_basic";
    sendX5C?: boolean;
    /** e.g. `["cp1"]` to declare continuous access evaluation support. */
    clientCapabilities?: string[];
    /** Tenants other than the authority's that a request may name; `["*"]` allows any. */
    allowedTenants?: string[];
    /** Entra's regional endpoint: a region name such as `"westus2"`, or `"TryAutoDetect"` (REGION_NAME). */
    azureRegion?: string;
    /** msal-node's: accepted; no discovery is done, so it changes nothing (said once in the log). */
    knownAuthorities?: string[];
    /** msal-node's: accepted; changes nothing (said once in the log). */
    cloudDiscoveryMetadata?: string;
    /** msal-node's: accepted; changes nothing (said once in the log). */
    skipAuthorityMetadataCache?: boolean;
    /** msal-node's: the authority's OpenID configuration as JSON; its `token_endpoint` is used. */
    authorityMetadata?: string;
    /** msal-node's: builds the authority (`<azureCloudInstance>/<tenant>`), taking precedence over `authority`. */
    azureCloudOptions?: { azureCloudInstance?: string; tenant?: string };
  };
  cache?: {
    store?: KvLike | null;
    /** Default `"entra-edge:"`. */
    keyPrefix?: string;
    /** Secret that seals stored tokens; default derived from the credential. */
    encryptionKey?: string;
    /** In-isolate / in-process cache in front of the store; default true. */
    memory?: boolean;
    /**
     * Bound of the memory level, least recently used evicted first (the store keeps them); default
     * 10000. The first eviction of a token still valid is logged once at Warning: raise the bound
     * when an app holds more tokens (tenants x scopes) than it.
     */
    maxEntries?: number;
    /** Tokens `refreshDue` keeps warm even before a request asked for them (checked as requests are). */
    keepWarm?: Array<{ scopes: string[]; tenantId?: string }>;
  };
  system?: {
    fetch?: typeof fetch;
    /** Per attempt, ms; default 10000. */
    timeoutMs?: number;
    /** Retries of a failed token request (network, timeout, 408, 429, 5xx, transient AADSTS), 0 to 10; default 2. */
    maxRetries?: number;
    /** The caller's whole wait, retries included, ms; at least `timeoutMs`; default 30000 (or `timeoutMs` when longer). */
    deadlineMs?: number;
    /** A token this close to expiry is not served; default 300. */
    expiryBufferSeconds?: number;
    logger?: (level: LogLevel, message: string, containsPii: boolean) => void;
    /** Milliseconds since the epoch; tests inject a clock. */
    now?: () => number;
    /** msal-node's logger: numeric `level`, lines above `logLevel` (default Info) not delivered. */
    loggerOptions?: {
      loggerCallback?: (level: MsalLogLevel, message: string, containsPii: boolean) => void;
      logLevel?: MsalLogLevel;
      piiLoggingEnabled?: boolean;
      correlationId?: string;
    };
    /** msal-node's network module, in place of `fetch`. */
    networkClient?: NetworkModule;
    /** msal-node's: `true` is `maxRetries: 0`. */
    disableInternalRetries?: boolean;
    /** msal-node's: only `"AAD"`. */
    protocolMode?: "AAD";
    /** Node, Deno, Bun: `refreshDue()` on an unref'd timer, every minute (`true`) or every N ms (10 to 86400000). */
    refreshTimer?: boolean | number;
    /**
     * OpenTelemetry (`@opentelemetry/api`'s Tracer and Meter, or `true` for its global providers):
     * a span `entra-edge acquire` per acquisition that leaves the memory level, and `entra_edge.*` metrics.
     */
    telemetry?: true | { tracer?: OpenTelemetryTracer; meter?: OpenTelemetryMeter };
  };
  /** msal-node's: sent as the `x-app-name` / `x-app-ver` headers. */
  telemetry?: { application?: { appName?: string; appVersion?: string } };
}

export interface ClientCredentialRequest {
  /** Entra: exactly one `"<resource>/.default"`. */
  scopes: string[];
  skipCache?: boolean;
  /** Claims challenge JSON; bypasses the cache. */
  claims?: string;
  /** Sent as `client-request-id`; a fresh UUID when absent. */
  correlationId?: string;
  /** Workers: `ctx.waitUntil.bind(ctx)`. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** This request's tenant (id or domain): the authority's, or one of `auth.allowedTenants`. */
  tenantId?: string;
  /** msal-node's form of the same: `https://<the app's authority host>/<tenant>`. */
  authority?: string;
  /** Overrides `auth.azureRegion`. */
  azureRegion?: string;
}

export type TokenSource = "identityProvider" | "memory" | "store";

/** The part of `@opentelemetry/api`'s Tracer used here (a Tracer is one). */
export interface OpenTelemetryTracer {
  startSpan(name: string, options?: any, context?: any): any;
}

/** The part of `@opentelemetry/api`'s Meter used here (a Meter is one). */
export interface OpenTelemetryMeter {
  createHistogram(name: string, options?: any): any;
  createObservableCounter(name: string, options?: any): any;
  addBatchObservableCallback(callback: (observer: any) => void, observables: any[]): void;
}

/** `app.stats()`: counters since construction; numbers only. */
export interface CacheStats {
  /** Results handed to callers, by tokenSource. */
  results: { memory: number; store: number; identityProvider: number };
  tokenRequests: number;
  retries: number;
  throttledRefusals: number;
  staleServes: number;
  storeReadFailures: number;
  storeWriteFailures: number;
  leases: { taken: number; waited: number; expired: number };
  memoryEvictions: number;
  /** Keys in the memory level now. */
  cachedKeys: number;
}

export interface RefreshDueOptions {
  /** Renew tokens whose refreshOn (or expiry buffer) falls within this many ms; default 600000. */
  withinMs?: number;
  /** Workers: `ctx.waitUntil.bind(ctx)`. */
  waitUntil?: (promise: Promise<unknown>) => void;
}

export interface AuthenticationResult {
  accessToken: string;
  tokenType: string;
  expiresOn: Date;
  extExpiresOn: Date | null;
  refreshOn: Date | null;
  scopes: string[];
  tenantId: string | null;
  fromCache: boolean;
  tokenSource: TokenSource;
  correlationId: string;
}

export declare class ConfidentialClientApplication {
  /** @throws {ClientConfigurationError} on bad configuration, before any network call. */
  constructor(configuration: Configuration);
  acquireTokenByClientCredential(request: ClientCredentialRequest): Promise<AuthenticationResult>;
  /** Same as acquireTokenByClientCredential (MSAL.NET / MSAL Python naming). */
  acquireTokenForClient(request: ClientCredentialRequest): Promise<AuthenticationResult>;
  /**
   * fetch's signature, with `Authorization: Bearer <token>` from the cache. On a 401 claims
   * challenge it re-acquires with the claims and retries once; on a plain 401 it retries once
   * with a fresh token (stream bodies are never retried); on Graph's 403
   * Authorization_RequestDenied it throws ConsentRequiredError. Other responses are returned untouched.
   */
  createAuthorizedFetch(options: AuthorizedFetchOptions): (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;
  clearCache(): Promise<void>;
  /** Renews what is due within `withinMs` and the `cache.keepWarm` tokens: for a Cron Trigger or a timer. */
  refreshDue(options?: RefreshDueOptions): Promise<{ refreshed: number; skipped: number; failed: number }>;
  stats(): CacheStats;
  /** This app as an Azure SDK credential (`@azure/core-auth`'s TokenCredential). */
  asTokenCredential(): TokenCredential;
}

/** `@azure/abort-controller`'s AbortSignalLike (an AbortSignal is one). */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: (this: AbortSignalLike, ev: any) => any, options?: any): void;
  removeEventListener(type: "abort", listener: (this: AbortSignalLike, ev: any) => any, options?: any): void;
}

/** What the Azure SDKs pass to getToken (`@azure/core-auth`'s GetTokenOptions). */
export interface GetTokenOptions {
  /** Stops this caller's wait; a shared token request goes on for other callers. */
  abortSignal?: AbortSignalLike;
  /** A claims challenge (decoded JSON), as the SDKs' bearer policy passes it; bypasses the cache. */
  claims?: string;
  /** This request's tenant: the credential's, or one of additionallyAllowedTenants. */
  tenantId?: string;
  /** Adds the `cp1` capability (continuous access evaluation); such tokens are cached apart. */
  enableCae?: boolean;
  /** Passed by the SDKs; the token does not depend on them. */
  requestOptions?: { timeout?: number };
  tracingOptions?: { tracingContext?: unknown };
  proofOfPossessionOptions?: unknown;
}

/** `@azure/core-auth`'s AccessToken. */
export interface AccessToken {
  token: string;
  expiresOnTimestamp: number;
  /** From the token's refreshOn. */
  refreshAfterTimestamp?: number;
  tokenType: "Bearer";
}

/** Assignable to `@azure/core-auth`'s TokenCredential. */
export interface TokenCredential {
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
}

/** `@azure/identity`'s credential options, with this package's cache and system options. */
export interface CredentialOptions {
  /** Default `"https://login.microsoftonline.com"`. */
  authorityHost?: string;
  /** As `auth.allowedTenants`; `["*"]` for any. */
  additionallyAllowedTenants?: string[];
  /** Accepted; no instance discovery is done (said once in the log). */
  disableInstanceDiscovery?: boolean;
  /** Accepted; log lines go to `system.logger` (said once in the log). */
  loggingOptions?: unknown;
  /** `maxRetries` is `system.maxRetries`; the rest changes nothing (said once in the log). */
  retryOptions?: { maxRetries?: number; [option: string]: unknown };
  cache?: Configuration["cache"];
  system?: Configuration["system"];
}

/** `@azure/identity`'s ClientSecretCredential. */
export declare class ClientSecretCredential implements TokenCredential {
  constructor(tenantId: string, clientId: string, clientSecret: string, options?: CredentialOptions);
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  stats(): CacheStats;
}

/** `@azure/identity`'s ClientCertificateCredential: one PEM with the private key and the chain; a path in Node only. */
export declare class ClientCertificateCredential implements TokenCredential {
  constructor(tenantId: string, clientId: string, certificate: { certificate: string } | { certificatePath: string } | string, options?: CredentialOptions & { sendCertificateChain?: boolean });
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  stats(): CacheStats;
}

/** `@azure/identity`'s ClientAssertionCredential: `getAssertion` is called for each token request. */
export declare class ClientAssertionCredential implements TokenCredential {
  constructor(tenantId: string, clientId: string, getAssertion: () => string | Promise<string>, options?: CredentialOptions);
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  stats(): CacheStats;
}

/** Node only: AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE (read for each token request), AZURE_AUTHORITY_HOST. */
export declare class WorkloadIdentityCredential implements TokenCredential {
  constructor(options?: CredentialOptions & { tenantId?: string; clientId?: string; tokenFilePath?: string });
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  stats(): CacheStats;
}

/** Node only: AZURE_TENANT_ID, AZURE_CLIENT_ID, and AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH. */
export declare class EnvironmentCredential implements TokenCredential {
  constructor(options?: CredentialOptions);
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  stats(): CacheStats;
}

/** Options of the managed-identity credentials: this package's cache (a store needs `encryptionKey`) and system options. */
export interface ManagedIdentityOptions {
  /** Accepted; log lines go to `system.logger` (said once in the log). */
  loggingOptions?: unknown;
  /** `maxRetries` is `system.maxRetries`; the rest changes nothing (said once in the log). */
  retryOptions?: { maxRetries?: number; [option: string]: unknown };
  cache?: Configuration["cache"];
  /** `deadlineMs` defaults to 90 s here: IMDS's 410 (an upgrade) is retried for 70 s. */
  system?: Configuration["system"];
}

/**
 * Node only: `@azure/identity`'s ManagedIdentityCredential. The endpoint comes from the
 * environment (Service Fabric, App Service / Functions / Container Apps, Azure Machine Learning,
 * Cloud Shell, Azure Arc, IMDS); a platform that cannot be asked rejects getToken with
 * CredentialUnavailableError. Service Fabric's certificate is checked against
 * IDENTITY_SERVER_THUMBPRINT, so `system.fetch` is refused there; Azure Arc's key file must pass
 * the agent's folder, `.key` and 4096-byte rules, and Arc takes no user-assigned id.
 */
export declare class ManagedIdentityCredential implements TokenCredential {
  /** System-assigned. */
  constructor(options?: ManagedIdentityOptions);
  /** User-assigned, by client id. */
  constructor(clientId: string, options?: ManagedIdentityOptions);
  /** User-assigned by one of the three ids, or system-assigned with none. */
  constructor(options: ManagedIdentityOptions & ({ clientId: string } | { resourceId: string } | { objectId: string }));
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
  stats(): CacheStats;
}

/** Node only: Environment, WorkloadIdentity, ManagedIdentity, AzureCli credentials in turn (AZURE_TOKEN_CREDENTIALS narrows them). */
export declare class DefaultAzureCredential implements TokenCredential {
  constructor(options?: {
    managedIdentityClientId?: string;
    managedIdentityResourceId?: string;
    workloadIdentityClientId?: string;
    tenantId?: string;
    additionallyAllowedTenants?: string[];
    processTimeoutInMs?: number;
    cache?: Configuration["cache"];
    system?: Configuration["system"];
  });
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
}

/** Any `@azure/core-auth` TokenCredential: this package's, or `@azure/identity`'s. */
export interface AnyTokenCredential {
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<{ token: string; expiresOnTimestamp: number; refreshAfterTimestamp?: number; tokenType?: string } | null>;
}

/** Tries each credential in order, moving on past CredentialUnavailableError only. */
export declare class ChainedTokenCredential implements TokenCredential {
  constructor(...sources: AnyTokenCredential[]);
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
}

/** Node only: `az account get-access-token`, spawned without a shell; tokens kept in memory. */
export declare class AzureCliCredential implements TokenCredential {
  constructor(options?: { tenantId?: string; processTimeoutInMs?: number; subscription?: string });
  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken>;
}

/** A function returning the bearer token for `scopes`, from `credential` (its cache answers). */
export declare function getBearerTokenProvider(credential: AnyTokenCredential, scopes: string | string[], options?: GetTokenOptions): () => Promise<string>;

export interface AuthorizedFetchOptions {
  /** Entra: exactly one `"<resource>/.default"`. */
  scopes: string[];
  /** Workers: `ctx.waitUntil.bind(ctx)`. */
  waitUntil?: (promise: Promise<unknown>) => void;
  /** Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Origins besides the scope's resource (when it is an https URL) that may receive the token. */
  allowedOrigins?: string[];
}

export declare class AuthError extends Error {
  readonly errorCode: string;
  /** Same as `message` (msal-node's name). */
  readonly errorMessage: string;
  readonly correlationId: string | null;
}

export declare class ClientConfigurationError extends AuthError {}

/** This credential cannot produce a token here (errorCode `credential_unavailable`): a chain moves on. */
export declare class CredentialUnavailableError extends AuthError {}

export declare class ServerError extends AuthError {
  readonly status: number;
  readonly error: string | null;
  readonly errorDescription: string | null;
  /** AADSTS codes. */
  readonly errorCodes: number[];
  readonly traceId: string | null;
  readonly timestamp: string | null;
  readonly errorUri: string | null;
  readonly isRetryable: boolean;
  readonly retryAfterMs: number | null;
  /** What to do about well-known AADSTS codes. */
  readonly hint: string | null;
}

export declare class ThrottledError extends ServerError {
  readonly retryAfterMs: number | null;
}

export declare class NetworkError extends AuthError {
  readonly cause?: unknown;
}

/** Graph answered 403 Authorization_RequestDenied: the app lacks (admin-consented) permission. */
export declare class ConsentRequiredError extends AuthError {
  readonly status: 403;
  /** Where a tenant administrator grants consent; null off Entra. */
  readonly adminConsentUrl: string | null;
}

/** `"https://database.windows.net/"` -> `"https://database.windows.net//.default"`. */
export declare function scopeForResource(resource: string): string;

export declare function adminConsentUrl(options: { tenant: string; clientId: string; redirectUri?: string }): string;
