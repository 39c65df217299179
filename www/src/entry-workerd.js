// Workers (wrangler/workerd) and other runtimes that import .wasm as a compiled module.
import wasmModule from "./entra_edge_bg.wasm";
import { setModuleLoader } from "./loader.js";
import * as client from "./client.js";
import { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from "./azure-credentials.js";
import { ChainedTokenCredential } from "./chained-credential.js";
import { CredentialUnavailableError } from "./errors.js";
import { DurableObjectStore, EntraEdgeTokenCache } from "./durable-object.js";

setModuleLoader(() => wasmModule);

// This bundle is minified without esbuild's --keep-names, which wrapped every function made at
// run time (the wasm glue's closures and promise callbacks, several per call) in a
// defineProperty: a twentieth of a store hit (issue 24). The exported classes get their names
// back here, once: ChainedTokenCredential labels its sources by constructor.name, and users log it.
const classes = { ...client, ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential, ChainedTokenCredential, CredentialUnavailableError, DurableObjectStore, EntraEdgeTokenCache };
for (const [name, value] of Object.entries(classes)) {
  if (typeof value === "function" && value.name !== name) Object.defineProperty(value, "name", { value: name });
}

export * from "./client.js";
export { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential };
// ManagedIdentityCredential, DefaultAzureCredential and AzureCliCredential are Node-only (no such
// endpoint or tool in workerd): not exported here, so importing them fails at bundle time.
export { ChainedTokenCredential, getBearerTokenProvider } from "./chained-credential.js";
export { CredentialUnavailableError };
export { DurableObjectStore, EntraEdgeTokenCache };
