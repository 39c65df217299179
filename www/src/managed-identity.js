// @azure/identity's ManagedIdentityCredential (Node): the platform's managed-identity endpoint
// (App Service / Functions / Container Apps, Service Fabric, Azure Arc, Azure Machine Learning,
// Cloud Shell, IMDS), behind this package's cache, store, fleet lease, retries and
// stale-if-error. This file only reads the environment and hands the core what Node can do
// beyond fetch (read Azure Arc's key file, pin Service Fabric's certificate); the core chooses
// the endpoint, builds the request, checks Arc's challenge and reads the answer.
import { arcAgentInstalled, readKeyFile } from "./arc.js";
import { ConfidentialClientApplication } from "./client.js";
import { AppCredential, NOTE } from "./credentials.js";
import { configError } from "./errors.js";
import { pinnedFetch } from "./service-fabric.js";

/** The variables the platforms set, as the core reads them (auth.managedIdentity.environment). */
const VARIABLES = ["IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET", "DEFAULT_IDENTITY_CLIENT_ID", "AZURE_POD_IDENTITY_AUTHORITY_HOST", "ProgramData"];
const IDS = ["clientId", "resourceId", "objectId"];
const OPTIONS = new Set([...IDS, "cache", "system", "loggingOptions", "retryOptions"]);
const INSTEAD = {
  tokenCachePersistenceOptions: "cache: { store, encryptionKey } (a FileStore or RedisStore): tokens are cached and shared there, sealed",
  proxyOptions: "system: { fetch } with a proxy dispatcher",
  httpClient: "system: { fetch }",
  additionalPolicies: "system: { fetch } to change how token requests are sent",
  authorityHost: "nothing: a managed identity asks the platform's endpoint, not an authority",
};

/** The platform's variables that are set, for the core to choose from. */
export function environment() {
  const out = {};
  for (const name of VARIABLES) {
    const value = process.env[name];
    if (value) out[name] = value;
  }
  return out;
}

/** The configuration of a managed-identity app from @azure/identity's options. */
function managedConfiguration(name, options) {
  if (options === null || typeof options !== "object") throw configError("invalid_config", `${name}: options must be an object`);
  for (const option of Object.keys(options)) {
    if (option in INSTEAD) throw configError("unsupported_option", `${name}: options.${option} is @azure/identity's; here use ${INSTEAD[option]}`);
    if (!OPTIONS.has(option)) throw configError("invalid_config", `${name}: unknown option options.${option}: check its spelling against the documented options`);
  }
  const env = environment();
  const managedIdentity = { environment: env, platform: process.platform, readFile: readKeyFile, arcAgent: arcAgentInstalled() };
  // Used by the core for Service Fabric only (all three of its variables set).
  if (env.IDENTITY_SERVER_THUMBPRINT) managedIdentity.pinnedFetch = pinnedFetch(env.IDENTITY_SERVER_THUMBPRINT);
  for (const id of IDS) {
    if (options[id] === undefined) continue;
    if (typeof options[id] !== "string") throw configError("invalid_config", `${name}: options.${id} must be a string, the identity's id as the Azure portal shows it`);
    managedIdentity[id] = options[id];
  }
  const { cache, system, retryOptions } = options;
  const maxRetries = retryOptions?.maxRetries;
  const notes = [];
  if (options.loggingOptions !== undefined) notes.push(`${name}: options.loggingOptions changes nothing: log lines go to system.logger`);
  const other = retryOptions && Object.keys(retryOptions).filter((k) => k !== "maxRetries");
  if (other?.length) notes.push(`${name}: options.retryOptions.${other.join(", ")} change nothing: retries follow system.maxRetries and system.deadlineMs`);
  return {
    configuration: {
      auth: { managedIdentity },
      ...(cache ? { cache } : {}),
      system: { ...(maxRetries !== undefined && system?.maxRetries === undefined ? { maxRetries } : {}), ...system },
    },
    notes,
  };
}

/**
 * `new ManagedIdentityCredential()` (system-assigned), `(clientId, options?)`, or
 * `({ clientId | resourceId | objectId, cache?, system? })`. A platform this package cannot ask
 * constructs, and `getToken` rejects with CredentialUnavailableError, so a chain moves on.
 */
export class ManagedIdentityCredential extends AppCredential {
  constructor(clientIdOrOptions, options) {
    const name = "ManagedIdentityCredential";
    const merged = typeof clientIdOrOptions === "string" ? { ...options, clientId: clientIdOrOptions } : (clientIdOrOptions ?? {});
    const { configuration, notes } = managedConfiguration(name, merged);
    let app = null;
    let unavailable = null;
    try {
      app = new ConfidentialClientApplication(configuration);
    } catch (e) {
      if (e?.errorCode !== "credential_unavailable") throw e;
      unavailable = e;
    }
    for (const note of app ? notes : []) app[NOTE](note);
    // One app: managed-identity endpoints take no client capabilities, so CAE tokens are the same.
    super(() => app);
    if (unavailable) this.getToken = () => Promise.reject(unavailable);
  }

  /**
   * @azure/core-auth's getToken: one scope (a string or an array of one). `tenantId` is not
   * passed on: a managed identity belongs to its own tenant, as in @azure/identity.
   */
  getToken(scopes, options) {
    return super.getToken(scopes, options?.tenantId === undefined ? options : { ...options, tenantId: undefined });
  }
}
