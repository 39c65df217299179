// Benchmark Worker: store hits, the memory level off, from Workers KV and from the
// EntraEdgeTokenCache Durable Object (DurableObjectStore).
//   /hit?store=kv|do&n=N   N acquisitions answered from the store
//   /noop                  the dispatch baseline
import { ConfidentialClientApplication, DurableObjectStore } from "entra-edge";

export { EntraEdgeTokenCache } from "entra-edge";

const apps = new Map();
const appFor = (env, kind) => {
  if (!apps.has(kind)) {
    const store = kind === "do" ? new DurableObjectStore(env.TOKEN_CACHE_DO) : env.TOKEN_CACHE;
    apps.set(kind, new ConfidentialClientApplication({ auth: { clientId: env.CLIENT_ID, tokenEndpoint: env.TOKEN_ENDPOINT, clientSecret: env.CLIENT_SECRET }, cache: { store, memory: false } }));
  }
  return apps.get(kind);
};

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/hit") {
      const app = appFor(env, url.searchParams.get("store"));
      const n = Number(url.searchParams.get("n") ?? 1);
      for (let i = 0; i < n; i++) await app.acquireTokenByClientCredential({ scopes: [env.SCOPE], waitUntil: ctx.waitUntil.bind(ctx) });
    }
    return new Response("ok");
  },
};
