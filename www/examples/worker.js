// The example Worker (wrangler.toml): GET /users lists the tenant's first users through
// Microsoft Graph, with tokens cached in the TOKEN_CACHE KV namespace.
//
// Bindings: CLIENT_ID, TENANT_ID, CLIENT_SECRET (a secret), TOKEN_CACHE (KV). Optional, for the
// local demo: AUTHORITY_HOST (instead of https://login.microsoftonline.com), TOKEN_ENDPOINT
// (a generic OAuth server instead of Entra), GRAPH_BASE (instead of https://graph.microsoft.com),
// SCOPE (instead of Graph's .default).
import { ConfidentialClientApplication, AuthError } from "entra-edge";

// One app per isolate: its memory cache and single-flight then serve every request here.
let app;
function appFor(env) {
  app ??= new ConfidentialClientApplication({
    auth: {
      clientId: env.CLIENT_ID,
      clientSecret: env.CLIENT_SECRET,
      ...(env.TOKEN_ENDPOINT
        ? { tokenEndpoint: env.TOKEN_ENDPOINT }
        : { authority: `${env.AUTHORITY_HOST ?? "https://login.microsoftonline.com"}/${env.TENANT_ID}` }),
    },
    cache: { store: env.TOKEN_CACHE },
  });
  return app;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== "/users") return new Response("try GET /users\n", { status: 404 });
    try {
      const token = await appFor(env).acquireTokenByClientCredential({
        scopes: [env.SCOPE ?? "https://graph.microsoft.com/.default"],
        waitUntil: ctx.waitUntil.bind(ctx),
      });
      const graph = env.GRAPH_BASE ?? "https://graph.microsoft.com";
      const res = await fetch(`${graph}/v1.0/users?$top=5&$select=displayName,userPrincipalName`, {
        headers: { authorization: `Bearer ${token.accessToken}` },
      });
      const body = await res.json();
      return Response.json(
        { tokenSource: token.tokenSource, graphStatus: res.status, users: body.value ?? body },
        { status: res.ok ? 200 : 502 },
      );
    } catch (e) {
      if (e instanceof AuthError) {
        return Response.json({ error: e.errorCode, message: e.message, correlationId: e.correlationId }, { status: 502 });
      }
      throw e;
    }
  },
};
