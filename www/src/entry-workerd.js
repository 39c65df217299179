// Workers (wrangler/workerd) and other runtimes that import .wasm as a compiled module.
import wasmModule from "./entra_edge_bg.wasm";
import { setModuleLoader } from "./loader.js";

setModuleLoader(() => wasmModule);

export * from "./client.js";
export { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from "./azure-credentials.js";
export { DurableObjectStore, EntraEdgeTokenCache } from "./durable-object.js";
