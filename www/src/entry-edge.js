// Vercel's Edge runtime and Next.js middleware (the `edge-light` export condition). Next.js and
// Vercel import a .wasm file with the `?module` suffix as a compiled WebAssembly.Module (in
// `next dev` and `next start` it is compiled in the host realm: loader.js adopts it).
import wasmModule from "./entra_edge_bg.wasm?module";
import { setCertificateReader } from "./azure-credentials.js";
import { configError } from "./errors.js";
import { setModuleLoader } from "./loader.js";
import { unavailableHere } from "./unavailable.js";

const RUNTIME = "Vercel's Edge runtime";
setModuleLoader(() => wasmModule);
setCertificateReader((_path, name) => {
  throw configError(
    "invalid_certificate",
    `${name}: a certificate path cannot be read in ${RUNTIME} (no file system): pass the PEM from an environment variable, new ${name}(tenantId, clientId, { certificate: process.env.CERTIFICATE_PEM })`,
  );
});

export * from "./client.js";
export { ClientAssertionCredential, ClientCertificateCredential, ClientSecretCredential } from "./azure-credentials.js";
export const EnvironmentCredential = unavailableHere("EnvironmentCredential", RUNTIME, "new ClientSecretCredential(process.env.AZURE_TENANT_ID, process.env.AZURE_CLIENT_ID, process.env.AZURE_CLIENT_SECRET)");
export const WorkloadIdentityCredential = unavailableHere("WorkloadIdentityCredential", RUNTIME, "ClientAssertionCredential with a function that returns the federated token");
// No managed-identity endpoint, az or environment files there: a deployed function gets a
// client credential, or a federated token through ClientAssertionCredential.
export const ManagedIdentityCredential = unavailableHere("ManagedIdentityCredential", RUNTIME, "ClientSecretCredential or ClientAssertionCredential");
export const DefaultAzureCredential = unavailableHere("DefaultAzureCredential", RUNTIME, "ClientSecretCredential or ClientAssertionCredential");
export const AzureCliCredential = unavailableHere("AzureCliCredential", RUNTIME, "ClientSecretCredential or ClientAssertionCredential");
export { ChainedTokenCredential, getBearerTokenProvider } from "./chained-credential.js";
export { CredentialUnavailableError } from "./errors.js";
