// @azure/identity's DefaultAzureCredential (Node): Environment → WorkloadIdentity →
// ManagedIdentity → AzureCli, narrowed by AZURE_TOKEN_CREDENTIALS; each one behind this
// package's cache. The chain logic itself (ChainedTokenCredential) is in chained-credential.js.
import { AzureCliCredential } from "./azure-cli.js";
import { ChainedTokenCredential, REMEMBER } from "./chained-credential.js";
import { EnvironmentCredential, WorkloadIdentityCredential } from "./credentials-node.js";
import { configError } from "./errors.js";
import { ManagedIdentityCredential } from "./managed-identity.js";

const NAME = "DefaultAzureCredential";
const OPTIONS = new Set(["managedIdentityClientId", "managedIdentityResourceId", "workloadIdentityClientId", "tenantId", "additionallyAllowedTenants", "processTimeoutInMs", "cache", "system"]);
// @azure/identity's developer-tool credentials this package does not provide.
const ELSEWHERE = ["azurepowershellcredential", "azuredeveloperclicredential", "visualstudiocodecredential", "brokercredential"];

/** The credentials AZURE_TOKEN_CREDENTIALS selects, by @azure/identity's names (case-insensitive). */
function selection(value) {
  const all = ["EnvironmentCredential", "WorkloadIdentityCredential", "ManagedIdentityCredential", "AzureCliCredential"];
  if (value === undefined || value.trim() === "") return all;
  const v = value.trim().toLowerCase();
  if (v === "prod") return all.slice(0, 3);
  if (v === "dev") return ["AzureCliCredential"];
  const one = all.find((name) => name.toLowerCase() === v);
  if (one) return [one];
  if (ELSEWHERE.includes(v)) {
    throw configError("invalid_config", `${NAME}: AZURE_TOKEN_CREDENTIALS names a credential entra-edge does not provide: set it to AzureCliCredential, or use @azure/identity for that tool`);
  }
  throw configError(
    "invalid_config",
    `${NAME}: AZURE_TOKEN_CREDENTIALS must be "prod", "dev", or one of ${all.join(", ")}: fix or unset the variable`,
  );
}

export class DefaultAzureCredential extends ChainedTokenCredential {
  constructor(options = {}) {
    if (options === null || typeof options !== "object") throw configError("invalid_config", `${NAME}: options must be an object`);
    for (const option of Object.keys(options)) {
      if (!OPTIONS.has(option)) throw configError("invalid_config", `${NAME}: unknown option options.${option}: check its spelling against the documented options`);
    }
    const { managedIdentityClientId, managedIdentityResourceId, workloadIdentityClientId, tenantId, additionallyAllowedTenants, processTimeoutInMs, cache, system } = options;
    if (managedIdentityClientId !== undefined && managedIdentityResourceId !== undefined) {
      throw configError("invalid_config", `${NAME}: set one of options.managedIdentityClientId and options.managedIdentityResourceId: both name the identity`);
    }
    if (cache?.store && !cache.encryptionKey) {
      throw configError("invalid_config", `${NAME}: options.cache.encryptionKey is required with options.cache.store: a managed identity or workload identity has no stable secret to derive the sealing key from. Set it to a random secret every process sharing the store knows`);
    }
    const shared = { ...(cache ? { cache } : {}), ...(system ? { system } : {}) };
    const make = {
      EnvironmentCredential: () => new EnvironmentCredential({ ...(additionallyAllowedTenants ? { additionallyAllowedTenants } : {}), ...shared }),
      WorkloadIdentityCredential: () => {
        const clientId = workloadIdentityClientId ?? managedIdentityClientId;
        return new WorkloadIdentityCredential({ ...(tenantId ? { tenantId } : {}), ...(clientId ? { clientId } : {}), ...(additionallyAllowedTenants ? { additionallyAllowedTenants } : {}), ...shared });
      },
      ManagedIdentityCredential: () =>
        new ManagedIdentityCredential({
          ...(managedIdentityClientId ? { clientId: managedIdentityClientId } : {}),
          ...(managedIdentityResourceId ? { resourceId: managedIdentityResourceId } : {}),
          ...shared,
        }),
      AzureCliCredential: () => new AzureCliCredential({ ...(tenantId ? { tenantId } : {}), ...(processTimeoutInMs ? { processTimeoutInMs } : {}) }),
    };
    super(...selection(process.env.AZURE_TOKEN_CREDENTIALS).map((name) => make[name]()));
    this[REMEMBER](NAME);
  }
}
