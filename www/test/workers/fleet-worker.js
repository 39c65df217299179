// A test Worker of a fleet: several copies run as separate isolates bound to one Durable Object
// namespace of EntraEdgeTokenCache.
//   GET /token   acquire (waitUntil given) and report the token and its source
// BrokenTokenCache is a Durable Object that fails every call, standing for an object in trouble.
import { AuthError, ConfidentialClientApplication, DurableObjectStore } from "entra-edge";

export { EntraEdgeTokenCache } from "entra-edge";

export class BrokenTokenCache {
  async fetch() {
    throw new Error("the object is down");
  }
}

let app;
const logs = [];

export default {
  async fetch(request, env, ctx) {
    app ??= new ConfidentialClientApplication({
      auth: { clientId: env.CLIENT_ID, authority: env.AUTHORITY, clientSecret: env.CLIENT_SECRET },
      cache: { store: new DurableObjectStore(env.TOKEN_CACHE_DO) },
      system: { timeoutMs: 2000, logger: (level, message) => logs.push([level, message]) },
    });
    if (new URL(request.url).pathname === "/logs") return Response.json(logs);
    try {
      const r = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"], waitUntil: ctx.waitUntil.bind(ctx) });
      return Response.json({ accessToken: r.accessToken, tokenSource: r.tokenSource });
    } catch (e) {
      if (e instanceof AuthError) return Response.json({ error: e.errorCode, message: e.message }, { status: 502 });
      throw e;
    }
  },
};
