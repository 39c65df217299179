// The managed-identity tests' environment and their check against the real client.
// Each test sets exactly the variables its platform would (the others unset), so a variable a
// test set never leaks into the next. @azure/identity's own ManagedIdentityCredential runs in a
// child process (support/azure-mi-child.mjs) with that environment, against the same fakes.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";

// What @azure/identity and entra-edge read to find a managed identity or another credential.
const VARIABLES = [
  "IDENTITY_ENDPOINT", "IDENTITY_HEADER", "IDENTITY_SERVER_THUMBPRINT", "IMDS_ENDPOINT", "MSI_ENDPOINT", "MSI_SECRET",
  "AZURE_POD_IDENTITY_AUTHORITY_HOST", "AZURE_TOKEN_CREDENTIALS", "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET",
  "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_USERNAME",
  "DEFAULT_IDENTITY_CLIENT_ID", "PATH",
];

/** The variables as the process had them when this module loaded. */
export const started = Object.fromEntries(VARIABLES.map((v) => [v, process.env[v]]));

/** Sets exactly `values` of the variables: the others unset, PATH as it started unless given. */
export function setEnv(values = {}) {
  for (const v of VARIABLES) delete process.env[v];
  if (started.PATH !== undefined) process.env.PATH = started.PATH;
  Object.assign(process.env, values);
}

/** Puts every variable back as the process had it (an `after` hook). */
export function restoreEnv() {
  for (const [v, value] of Object.entries(started)) {
    if (value === undefined) delete process.env[v];
    else process.env[v] = value;
  }
}

const CHILD = new URL("./azure-mi-child.mjs", import.meta.url).pathname;

/**
 * @azure/identity's `new ManagedIdentityCredential(options).getToken` in a child process with
 * this process's environment plus `env`: its outcome, which must hold a token (a fake the real
 * client cannot use fails here).
 */
export async function azureIdentityToken(options = {}, env = {}) {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, JSON.stringify(options)], { env: { ...process.env, ...env }, timeout: 30_000 });
  const outcome = JSON.parse(stdout.trim().split("\n").at(-1));
  assert.ok(outcome.token, `@azure/identity got no token from the fake: ${outcome.message}`);
  return outcome;
}
