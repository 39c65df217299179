// Node-only credentials, driven by the environment variables @azure/identity reads, so an AKS
// pod (workload identity) or a CI job needs no code beyond the constructor.
import { appsFor, ClientCertificateCredential, ClientSecretCredential } from "./azure-credentials.js";
import { AppCredential, configurationFor, DECRYPT_FIRST, emptyStats } from "./credentials.js";
import { configError, unavailable } from "./errors.js";

function fs() {
  // Fetched when needed, as the wasm is: an ESM import of node:fs costs every startup.
  return process.getBuiltinModule("node:fs");
}

/** Reads a PEM file for ClientCertificateCredential; errors name the path, never the content. */
export function readCertificateFile(path, name) {
  try {
    return fs().readFileSync(path, "utf8");
  } catch (e) {
    throw configError("invalid_certificate", `${name}: the certificate file ${path} could not be read (${e.code ?? e.message})`);
  }
}

/** Not set, or set empty: @azure/identity treats both as absent. */
function unset(pairs) {
  return pairs.filter(([v]) => !v).map(([, variable]) => variable);
}

function missing(name, variables) {
  return unavailable(
    `${name}: ${variables.join(", ")} ${variables.length === 1 ? "is" : "are"} not set: set ${variables.length === 1 ? "it" : "them"} in the environment or pass the option`,
  );
}

/**
 * A credential whose configuration comes from the environment: it constructs whatever is set,
 * and `getToken` rejects with CredentialUnavailableError naming what is missing, as
 * @azure/identity does (chains such as DefaultAzureCredential move on then).
 */
class EnvironmentDriven {
  #credential;
  #unavailable;

  constructor(build) {
    const built = build();
    if (built instanceof Error) this.#unavailable = built;
    else this.#credential = built;
  }

  /** As the credential the environment describes. */
  async getToken(scopes, options) {
    if (this.#unavailable) throw this.#unavailable;
    return this.#credential.getToken(scopes, options);
  }
  /** The counters of the credential the environment describes (none made: all 0). */
  stats() {
    return this.#credential?.stats() ?? emptyStats();
  }
}

/**
 * @azure/identity's WorkloadIdentityCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_FEDERATED_TOKEN_FILE (read again for each token request: the platform rotates it),
 * AZURE_AUTHORITY_HOST; options `tenantId`, `clientId`, `tokenFilePath` take precedence.
 */
export class WorkloadIdentityCredential extends EnvironmentDriven {
  constructor(options = {}) {
    const name = "WorkloadIdentityCredential";
    super(() => {
      const env = process.env;
      const { tenantId = env.AZURE_TENANT_ID, clientId = env.AZURE_CLIENT_ID, tokenFilePath = env.AZURE_FEDERATED_TOKEN_FILE, ...rest } = options;
      const absent = unset([
        [tenantId, "AZURE_TENANT_ID"],
        [clientId, "AZURE_CLIENT_ID"],
        [tokenFilePath, "AZURE_FEDERATED_TOKEN_FILE"],
      ]);
      if (absent.length) return missing(name, absent);
      if (rest.cache?.store && !rest.cache.encryptionKey) {
        throw configError(
          "invalid_config",
          `${name}: options.cache.encryptionKey is required with options.cache.store: a federated token changes, so there is no stable secret to derive the sealing key from. Set it to a random secret every process sharing the store knows`,
        );
      }
      return new FederatedTokenFile(name, tenantId, clientId, tokenFilePath, env.AZURE_AUTHORITY_HOST && rest.authorityHost === undefined ? { ...rest, authorityHost: env.AZURE_AUTHORITY_HOST } : rest);
    });
  }
}

/** An assertion credential over a token file; a file that cannot be read is named, with why. */
class FederatedTokenFile {
  #credential;
  #readError = null;
  #name;
  #path;

  constructor(name, tenantId, clientId, path, options) {
    this.#name = name;
    this.#path = path;
    const clientAssertion = () =>
      fs().promises.readFile(path, "utf8").then(
        (t) => {
          this.#readError = null;
          return t.trim();
        },
        (e) => {
          this.#readError = e;
          throw e;
        },
      );
    this.#credential = new AppCredential(appsFor(configurationFor(name, tenantId, clientId, { clientAssertion }, options)));
  }

  stats() {
    return this.#credential.stats();
  }

  async getToken(scopes, options) {
    try {
      return await this.#credential.getToken(scopes, options);
    } catch (e) {
      // The core reports only that the assertion callback failed; the file and the cause are known here.
      const why = this.#readError;
      if (why && e?.errorCode === "invalid_credential") {
        throw configError("invalid_credential", `${this.#name}: the federated token file ${this.#path} (AZURE_FEDERATED_TOKEN_FILE or tokenFilePath) could not be read (${why.code ?? why.name}): check the path and that the pod's service account token is mounted`);
      }
      throw e;
    }
  }
}

/**
 * @azure/identity's EnvironmentCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID, and
 * AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_SEND_CERTIFICATE_CHAIN);
 * AZURE_ADDITIONALLY_ALLOWED_TENANTS and AZURE_AUTHORITY_HOST as it reads them.
 */
export class EnvironmentCredential extends EnvironmentDriven {
  constructor(options = {}) {
    const name = "EnvironmentCredential";
    super(() => {
      const env = process.env;
      const absent = unset([
        [env.AZURE_TENANT_ID, "AZURE_TENANT_ID"],
        [env.AZURE_CLIENT_ID, "AZURE_CLIENT_ID"],
      ]);
      if (!env.AZURE_CLIENT_SECRET && !env.AZURE_CLIENT_CERTIFICATE_PATH) {
        absent.push(env.AZURE_USERNAME ? "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (AZURE_USERNAME/AZURE_PASSWORD are a user sign-in, not supported)" : "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
      }
      if (absent.length) return missing(name, absent);
      if (env.AZURE_CLIENT_CERTIFICATE_PASSWORD) {
        throw configError("unsupported_option", `${name}: AZURE_CLIENT_CERTIFICATE_PASSWORD is for an encrypted key: ${DECRYPT_FIRST} and unset it`);
      }
      const shared = {
        ...(env.AZURE_AUTHORITY_HOST ? { authorityHost: env.AZURE_AUTHORITY_HOST } : {}),
        ...(env.AZURE_ADDITIONALLY_ALLOWED_TENANTS ? { additionallyAllowedTenants: env.AZURE_ADDITIONALLY_ALLOWED_TENANTS.split(/[,;]/).map((t) => t.trim()).filter(Boolean) } : {}),
        ...options,
      };
      return env.AZURE_CLIENT_SECRET
        ? new ClientSecretCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, env.AZURE_CLIENT_SECRET, shared)
        : new ClientCertificateCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, { certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH }, {
            ...(env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN === "true" || env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN === "1" ? { sendCertificateChain: true } : {}),
            ...shared,
          });
    });
  }

}
