// Node (ESM, and CommonJS after the build's transform): the wasm file sits next to this bundle
// and is read synchronously on first use. node:fs is fetched then with getBuiltinModule, not
// imported: an ESM import of node:fs loads its stream classes too, 3.4 ms of every startup.
// Certificate paths are read the same way, for ClientCertificateCredential.
import { setCertificateReader } from "./azure-credentials.js";
import { readCertificateFile } from "./credentials-node.js";
import { setCipherFactory } from "./cipher.js";
import { nodeCipher } from "./cipher-node.js";
import { setModuleLoader } from "./loader.js";

setModuleLoader(() => {
  const { readFileSync } = process.getBuiltinModule("node:fs");
  return new WebAssembly.Module(readFileSync(new URL("./entra_edge_bg.wasm", import.meta.url)));
});
setCertificateReader(readCertificateFile);
setCipherFactory(nodeCipher);

export * from "./client.js";
export { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from "./azure-credentials.js";
export { EnvironmentCredential, WorkloadIdentityCredential } from "./credentials-node.js";
export { ChainedTokenCredential, getBearerTokenProvider } from "./chained-credential.js";
export { CredentialUnavailableError } from "./errors.js";
export { ManagedIdentityCredential } from "./managed-identity.js";
export { DefaultAzureCredential } from "./default-credential.js";
export { AzureCliCredential } from "./azure-cli.js";
