// Workers (wrangler/workerd) and other runtimes that import .wasm as a compiled module.
import wasmModule from "./entra_edge_bg.wasm";
import { setModuleLoader } from "./loader.js";

setModuleLoader(() => wasmModule);

export * from "./client.js";
export { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from "./azure-credentials.js";
// ManagedIdentityCredential, DefaultAzureCredential and AzureCliCredential are Node-only (no such
// endpoint or tool in workerd): not exported here, so importing them fails at bundle time.
export { ChainedTokenCredential, getBearerTokenProvider } from "./chained-credential.js";
export { CredentialUnavailableError } from "./errors.js";
export { DurableObjectStore, EntraEdgeTokenCache } from "./durable-object.js";
