// Inside its own mount and network namespaces (managed-identity-arc.test.mjs starts it with
// unshare): /opt/azcmagent/bin/himds exists there, and the fake Arc agent listens at the agent's
// own address, 127.0.0.1:40342, while no Arc variable is set. entra-edge's and then
// @azure/identity's ManagedIdentityCredential (in a child, same namespaces) each ask for a token.
// Prints one JSON line: each outcome and the requests the agent got.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { ManagedIdentityCredential } from "entra-edge";
import { startManagedIdentityFake } from "./imds-fake.mjs";

const STORAGE = "https://storage.azure.com/.default";
const CHILD = new URL("./azure-mi-child.mjs", import.meta.url).pathname;
for (const name of Object.keys(process.env)) if (/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(name)) delete process.env[name];

const fake = await startManagedIdentityFake({ agent: true });
const requests = () => fake.tokenRequests("arc").map((r) => ({ keyed: r.headers.authorization !== undefined, url: r.url }));
const ours = await new ManagedIdentityCredential({ system: { maxRetries: 0 } }).getToken(STORAGE).then(
  (t) => ({ token: Boolean(t.token) }),
  (e) => ({ error: e.name, message: e.message }),
);
const ourRequests = requests();
const { stdout } = await promisify(execFile)(process.execPath, [CHILD, "{}"], { env: process.env, timeout: 30_000 });
const theirs = JSON.parse(stdout.trim().split("\n").at(-1));
console.log(JSON.stringify({ ours, ourRequests, theirs: { token: Boolean(theirs.token), message: theirs.message }, theirRequests: requests().slice(ourRequests.length) }));
await fake.close();
