// A test Worker serving many tenants from one module-level app:
//   GET /token?tenant=<id or domain>   acquire for that tenant and report the token's tid
import { AuthError, ConfidentialClientApplication } from "entra-edge";

let app;

export default {
  async fetch(request, env, ctx) {
    app ??= new ConfidentialClientApplication({
      auth: { clientId: env.CLIENT_ID, authority: env.AUTHORITY, clientSecret: env.CLIENT_SECRET, allowedTenants: env.ALLOWED.split(",") },
      cache: { store: env.TOKEN_CACHE },
    });
    const tenantId = new URL(request.url).searchParams.get("tenant");
    try {
      const r = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"], tenantId, waitUntil: ctx.waitUntil.bind(ctx) });
      const tid = JSON.parse(atob(r.accessToken.split(".")[1].replace(/-/g, "+").replace(/_/g, "/"))).tid;
      return Response.json({ tenantId: r.tenantId, tid, tokenSource: r.tokenSource });
    } catch (e) {
      if (e instanceof AuthError) return Response.json({ error: e.errorCode, message: e.message }, { status: 502 });
      throw e;
    }
  },
};
