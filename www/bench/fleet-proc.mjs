// One process of a benchmark fleet: 100 (argv[6]) concurrent cold acquisitions when the parent
// writes "go", through entra-edge over Redis with the lease, entra-edge over Redis without it,
// or msal-node. Prints "ready", then "done"; exits when the parent closes stdin.
//   node fleet-proc.mjs <lease|nolease|msal> <redis socket> <token server URL> <tenant> <calls>
import { ConfidentialClientApplication as MsalApp } from "@azure/msal-node";
import { ConfidentialClientApplication } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import Redis from "ioredis";

const [mode, socket, tokenServerUrl, tenant, calls] = process.argv.slice(2);
const SCOPES = ["https://graph.microsoft.com/.default"];
let acquire;
let redis;
if (mode === "msal") {
  const base = `https://login.microsoftonline.com/${tenant}`;
  const metadata = { token_endpoint: `${base}/oauth2/v2.0/token`, issuer: `${base}/v2.0`, authorization_endpoint: `${base}/oauth2/v2.0/authorize`, end_session_endpoint: `${base}/oauth2/v2.0/logout`, jwks_uri: `${base}/discovery/v2.0/keys` };
  const networkClient = {
    sendGetRequestAsync: async () => ({ headers: {}, body: metadata, status: 200 }),
    async sendPostRequestAsync(url, options) {
      const res = await fetch(`${tokenServerUrl}${new URL(url).pathname}`, { method: "POST", headers: options.headers, body: options.body });
      return { headers: Object.fromEntries(res.headers), body: await res.json(), status: res.status };
    },
  };
  const app = new MsalApp({ auth: { clientId: "c", authority: base, clientSecret: "s", knownAuthorities: ["login.microsoftonline.com"], authorityMetadata: JSON.stringify(metadata) }, system: { networkClient } });
  acquire = () => app.acquireTokenByClientCredential({ scopes: SCOPES });
} else {
  redis = new Redis({ path: socket });
  const store = new RedisStore(redis);
  // Without the lease: the same store, its get/put/delete only.
  const plain = { get: (k) => store.get(k), put: (k, v, o) => store.put(k, v, o), delete: (k) => store.delete(k) };
  const app = new ConfidentialClientApplication({
    auth: { clientId: "c", authority: `${tokenServerUrl}/${tenant}`, clientSecret: "s0123456789abcdef" },
    cache: { store: mode === "lease" ? store : plain },
  });
  acquire = () => app.acquireTokenByClientCredential({ scopes: SCOPES });
}
console.log("ready");
process.stdin.once("data", async () => {
  await Promise.all(Array.from({ length: Number(calls) }, acquire));
  console.log("done");
});
process.stdin.once("end", () => redis?.quit());
