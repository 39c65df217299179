// A Node daemon that polls Microsoft Graph and logs where each token came from. Tokens are
// shared with other processes through a FileStore (TOKEN_DIR) or Redis (REDIS_URL, with ioredis).
//
//   CLIENT_ID=... TENANT_ID=... CLIENT_SECRET=... node www/examples/daemon.mjs
//
// Optional: POLL_SECONDS (default 60), POLLS (stop after that many; default forever),
// TOKEN_ENDPOINT (a generic OAuth server instead of Entra), GRAPH_BASE, SCOPE.
import { ConfidentialClientApplication } from "entra-edge";
import { FileStore, RedisStore } from "entra-edge/stores";

const env = process.env;
let redis;
async function store() {
  if (!env.REDIS_URL) return new FileStore(env.TOKEN_DIR ?? ".entra-edge-tokens");
  const { default: Redis } = await import("ioredis");
  redis = new Redis(env.REDIS_URL);
  return new RedisStore(redis);
}

const app = new ConfidentialClientApplication({
  auth: {
    clientId: env.CLIENT_ID,
    clientSecret: env.CLIENT_SECRET,
    ...(env.TOKEN_ENDPOINT ? { tokenEndpoint: env.TOKEN_ENDPOINT } : { authority: `https://login.microsoftonline.com/${env.TENANT_ID}` }),
  },
  cache: { store: await store() },
  system: { logger: (level, message) => level !== "verbose" && console.error(`[entra-edge ${level}] ${message}`) },
});
const scopes = [env.SCOPE ?? "https://graph.microsoft.com/.default"];
const base = env.GRAPH_BASE ?? "https://graph.microsoft.com";
// The bearer goes only to the scope's resource unless another origin is listed.
const graph = app.createAuthorizedFetch({ scopes, allowedOrigins: [new URL(base).origin] });
const polls = Number(env.POLLS ?? Infinity);

for (let i = 1; i <= polls; i++) {
  const { tokenSource } = await app.acquireTokenByClientCredential({ scopes });
  const res = await graph(`${base}/v1.0/users?$top=5`);
  const users = res.ok ? (await res.json()).value.map((u) => u.displayName).join(", ") : `HTTP ${res.status}`;
  console.log(`poll ${i}: token from ${tokenSource}; users: ${users}`);
  if (i < polls) await new Promise((r) => setTimeout(r, Number(env.POLL_SECONDS ?? 60) * 1000));
}
// No process.exit(): store writes run in the background and must land before Node exits.
// QUIT waits for the commands already queued.
await redis?.quit();
