// One process of a benchmark fleet: 100 (argv[6]) concurrent cold acquisitions when the parent
// writes "go", through entra-edge over Redis with the lease, entra-edge over Redis without it,
// or msal-node. Prints "ready", then "done"; exits when the parent closes stdin.
//   node fleet-proc.mjs <lease|nolease|msal> <redis socket> <token server URL> <tenant> <calls>
import { ConfidentialClientApplication as MsalApp } from "@azure/msal-node";
import { ConfidentialClientApplication } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import Redis from "ioredis";
import { withoutLease } from "../test/support/redis.mjs";
import { LOGIN, localNetworkClient, tenantMetadata } from "./msal-local.mjs";

const [mode, socket, tokenServerUrl, tenant, calls] = process.argv.slice(2);
const SCOPES = ["https://graph.microsoft.com/.default"];
let acquire;
let redis;
// entra-edge's background work (the entry's write, the lease's release), awaited before quitting.
const background = [];
const waitUntil = (p) => background.push(p);
if (mode === "msal") {
  const app = new MsalApp({
    auth: { clientId: "c", authority: `${LOGIN}/${tenant}`, clientSecret: "s", knownAuthorities: ["login.microsoftonline.com"], authorityMetadata: JSON.stringify(tenantMetadata(tenant)) },
    system: { networkClient: localNetworkClient({ target: tokenServerUrl }) },
  });
  acquire = () => app.acquireTokenByClientCredential({ scopes: SCOPES });
} else {
  redis = new Redis({ path: socket });
  const store = new RedisStore(redis);
  const app = new ConfidentialClientApplication({
    auth: { clientId: "c", authority: `${tokenServerUrl}/${tenant}`, clientSecret: "s0123456789abcdef" },
    cache: { store: mode === "lease" ? store : withoutLease(store) },
  });
  acquire = () => app.acquireTokenByClientCredential({ scopes: SCOPES, waitUntil });
}
console.log("ready");
process.stdin.once("data", async () => {
  await Promise.all(Array.from({ length: Number(calls) }, acquire));
  console.log("done");
});
process.stdin.once("end", async () => {
  await Promise.all(background);
  await redis?.quit();
});
