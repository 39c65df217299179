// Node-only credentials, driven by the environment variables @azure/identity reads, so an AKS
// pod (workload identity) or a CI job needs no code beyond the constructor.
import { appsFor, ClientCertificateCredential, ClientSecretCredential } from "./azure-credentials.js";
import { AppCredential, configurationFor, DECRYPT_FIRST } from "./credentials.js";
import { configError } from "./errors.js";

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

function missing(name, variables) {
  return configError(
    "missing_environment",
    `${name}: ${variables.join(", ")} ${variables.length === 1 ? "is" : "are"} not set: set ${variables.length === 1 ? "it" : "them"} in the environment or pass the option`,
  );
}

/**
 * @azure/identity's WorkloadIdentityCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID and
 * AZURE_FEDERATED_TOKEN_FILE (read again for each token request: the platform rotates it),
 * AZURE_AUTHORITY_HOST; options `tenantId`, `clientId`, `tokenFilePath` take precedence.
 */
export class WorkloadIdentityCredential extends AppCredential {
  constructor(options = {}) {
    const name = "WorkloadIdentityCredential";
    const env = process.env;
    const { tenantId = env.AZURE_TENANT_ID, clientId = env.AZURE_CLIENT_ID, tokenFilePath = env.AZURE_FEDERATED_TOKEN_FILE, ...rest } = options;
    const unset = [
      [tenantId, "AZURE_TENANT_ID"],
      [clientId, "AZURE_CLIENT_ID"],
      [tokenFilePath, "AZURE_FEDERATED_TOKEN_FILE"],
    ].filter(([v]) => !v).map(([, variable]) => variable);
    if (unset.length) throw missing(name, unset);
    const clientAssertion = () => fs().promises.readFile(tokenFilePath, "utf8").then((t) => t.trim());
    const withHost = env.AZURE_AUTHORITY_HOST && rest.authorityHost === undefined ? { ...rest, authorityHost: env.AZURE_AUTHORITY_HOST } : rest;
    super(appsFor(configurationFor(name, tenantId, clientId, { clientAssertion }, withHost)));
  }
}

/**
 * @azure/identity's EnvironmentCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID, and
 * AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (+ AZURE_CLIENT_SEND_CERTIFICATE_CHAIN);
 * AZURE_ADDITIONALLY_ALLOWED_TENANTS and AZURE_AUTHORITY_HOST as it reads them.
 */
export class EnvironmentCredential {
  #credential;

  constructor(options = {}) {
    const name = "EnvironmentCredential";
    const env = process.env;
    const unset = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID"].filter((v) => !env[v]);
    if (!env.AZURE_CLIENT_SECRET && !env.AZURE_CLIENT_CERTIFICATE_PATH) {
      unset.push(env.AZURE_USERNAME ? "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH (AZURE_USERNAME/AZURE_PASSWORD are a user sign-in, not supported)" : "AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH");
    }
    if (unset.length) throw missing(name, unset);
    if (env.AZURE_CLIENT_CERTIFICATE_PASSWORD) {
      throw configError("unsupported_option", `${name}: AZURE_CLIENT_CERTIFICATE_PASSWORD is for an encrypted key: ${DECRYPT_FIRST} and unset it`);
    }
    const shared = {
      ...(env.AZURE_AUTHORITY_HOST ? { authorityHost: env.AZURE_AUTHORITY_HOST } : {}),
      ...(env.AZURE_ADDITIONALLY_ALLOWED_TENANTS ? { additionallyAllowedTenants: env.AZURE_ADDITIONALLY_ALLOWED_TENANTS.split(/[,;]/).map((t) => t.trim()).filter(Boolean) } : {}),
      ...options,
    };
    const credential = env.AZURE_CLIENT_SECRET
      ? new ClientSecretCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, env.AZURE_CLIENT_SECRET, shared)
      : new ClientCertificateCredential(env.AZURE_TENANT_ID, env.AZURE_CLIENT_ID, { certificatePath: env.AZURE_CLIENT_CERTIFICATE_PATH }, {
          ...(env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN === "true" || env.AZURE_CLIENT_SEND_CERTIFICATE_CHAIN === "1" ? { sendCertificateChain: true } : {}),
          ...shared,
        });
    this.#credential = credential;
  }

  /** As the secret or certificate credential the environment describes. */
  getToken(scopes, options) {
    return this.#credential.getToken(scopes, options);
  }
}
