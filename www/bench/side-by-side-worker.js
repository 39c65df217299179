// Benchmark Worker: entra-edge next to the hand-written helper (handrolled.js), against the same
// token endpoint (env.TOKEN_ENDPOINT). Each request runs N operations so per-call costs can be
// measured from outside (inside workerd, timers only advance across I/O).
//   /hit?impl=edge|hand&n=N        N memory cache hits
//   /kv?impl=edge|hand&n=N         N hits read from KV (no memory level)
//   /cold?impl=edge|hand|raw&n=N   N token requests (raw: the bare fetch + json, the floor)
//   /miss?impl=edge|hand&n=N&run=R N first acquisitions of a new scope each: a KV miss, the
//                                  token request, the KV write (what a cold isolate does)
//   /concurrent?impl=edge|hand&n=N N concurrent cold calls on a fresh cache
//   /construct?impl=edge|hand      the first client (startup, timed on a fresh instance)
import { ConfidentialClientApplication } from "entra-edge";
import { handRolledToken } from "./handrolled.js";

const edgeApps = new Map();
// Both levels like the helper (memory, then KV), or KV alone for the KV-hit figure.
const edgeApp = (env, memory) => {
  if (!edgeApps.has(memory)) {
    edgeApps.set(memory, new ConfidentialClientApplication({
      auth: { clientId: env.CLIENT_ID, tokenEndpoint: env.TOKEN_ENDPOINT, clientSecret: env.CLIENT_SECRET },
      cache: { store: env.TOKEN_CACHE, memory },
    }));
  }
  return edgeApps.get(memory);
};
const settings = (env, extra) => ({ tokenEndpoint: env.TOKEN_ENDPOINT, clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET, scope: env.SCOPE, ...extra });

async function once(env, ctx, impl, op, scope = env.SCOPE) {
  const waitUntil = ctx.waitUntil.bind(ctx);
  if (impl === "raw") {
    const res = await fetch(env.TOKEN_ENDPOINT, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ grant_type: "client_credentials", client_id: env.CLIENT_ID, client_secret: env.CLIENT_SECRET, scope: env.SCOPE }),
    });
    return (await res.json()).access_token;
  }
  if (impl === "edge") {
    const app = edgeApp(env, op !== "kv");
    return (await app.acquireTokenByClientCredential({ scopes: [scope], skipCache: op === "cold", waitUntil })).accessToken;
  }
  return handRolledToken(env, settings(env, { scope, skipCache: op === "cold", memory: op !== "kv" }));
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const op = url.pathname.slice(1);
    const impl = url.searchParams.get("impl");
    const n = Number(url.searchParams.get("n") ?? 1);
    if (op === "concurrent") {
      // A fresh cache: a new app (edge), an empty KV key and module variable (hand).
      const app = new ConfidentialClientApplication({ auth: { clientId: env.CLIENT_ID, tokenEndpoint: env.TOKEN_ENDPOINT, clientSecret: env.CLIENT_SECRET } });
      const call = impl === "edge"
        ? () => app.acquireTokenByClientCredential({ scopes: [env.SCOPE] })
        : () => handRolledToken(env, settings(env, { clientId: `${env.CLIENT_ID}-${url.searchParams.get("run")}` }));
      await Promise.all(Array.from({ length: n }, call));
      return new Response("ok");
    }
    if (op === "construct") {
      // Worker startup: the first client (for entra-edge this instantiates the wasm).
      if (impl === "edge") edgeApp(env, true);
      return new Response("ok");
    }
    if (op === "miss") {
      const run = url.searchParams.get("run");
      for (let i = 0; i < n; i++) await once(env, ctx, impl, op, `api://bench-miss-${run}-${i}/.default`);
    } else if (op !== "noop") for (let i = 0; i < n; i++) await once(env, ctx, impl, op);
    return new Response("ok");
  },
};
