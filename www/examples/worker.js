// The example Worker (wrangler.toml): GET /users lists the tenant's first users through
// Microsoft Graph, with tokens cached in the TOKEN_CACHE KV namespace. When the app lacks admin
// consent it answers a readable page saying what to do. Its Cron Trigger keeps the token warm.
//
// Bindings: CLIENT_ID, TENANT_ID, CLIENT_SECRET (a secret), TOKEN_CACHE (KV). With TOKEN_CACHE_DO
// (a Durable Object namespace of EntraEdgeTokenCache) tokens are kept there instead, and every
// isolate in every location shares one token request. Optional, for the local demo:
// AUTHORITY_HOST (instead of https://login.microsoftonline.com), TOKEN_ENDPOINT (a generic OAuth
// server instead of Entra), GRAPH_BASE (instead of https://graph.microsoft.com), SCOPE (instead
// of Graph's .default).
import { AuthError, ConfidentialClientApplication, ConsentRequiredError, DurableObjectStore } from "entra-edge";

// The Durable Object class wrangler.toml binds as TOKEN_CACHE_DO.
export { EntraEdgeTokenCache } from "entra-edge";

const scopesFor = (env) => [env.SCOPE ?? "https://graph.microsoft.com/.default"];

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
    cache: {
      store: env.TOKEN_CACHE_DO ? new DurableObjectStore(env.TOKEN_CACHE_DO) : env.TOKEN_CACHE,
      // Renewed by the Cron Trigger below even in an isolate that has served no request yet.
      keepWarm: [{ scopes: scopesFor(env) }],
    },
  });
  return app;
}

const escape = (s) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const page = (status, title, body) =>
  new Response(`<!doctype html><meta charset="utf-8"><title>${escape(title)}</title><h1>${escape(title)}</h1>${body}`, {
    status,
    headers: { "content-type": "text/html; charset=utf-8" },
  });

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname !== "/users") return new Response("try GET /users\n", { status: 404 });
    const scopes = scopesFor(env);
    const waitUntil = ctx.waitUntil.bind(ctx);
    const base = env.GRAPH_BASE ?? "https://graph.microsoft.com";
    // The bearer goes only to the scope's resource unless another origin is listed.
    const graph = appFor(env).createAuthorizedFetch({ scopes, waitUntil, allowedOrigins: [new URL(base).origin] });
    try {
      // Only to report where the token came from; the authorized fetch below then reuses it.
      const { tokenSource } = await appFor(env).acquireTokenByClientCredential({ scopes, waitUntil });
      const res = await graph(`${base}/v1.0/users?$top=5&$select=displayName,userPrincipalName`);
      const body = await res.json();
      return Response.json({ tokenSource, graphStatus: res.status, users: body.value ?? body }, { status: res.ok ? 200 : 502 });
    } catch (e) {
      if (e instanceof ConsentRequiredError) {
        const link = e.adminConsentUrl ? `<p><a href="${escape(e.adminConsentUrl)}">Grant admin consent</a></p>` : "";
        return page(403, "This app needs admin consent", `<p>${escape(e.message)}</p>${link}`);
      }
      if (e instanceof AuthError) {
        return page(502, "Could not get a token", `<p>${escape(e.message)}</p><p>errorCode: ${escape(e.errorCode)}, correlationId: ${escape(e.correlationId)}</p>`);
      }
      throw e;
    }
  },

  // The Cron Trigger of wrangler.toml ([triggers] crons): tokens due within the next 10 minutes
  // are renewed here, off the request path, so no request waits for Entra after the first token.
  async scheduled(event, env, ctx) {
    const waitUntil = ctx.waitUntil.bind(ctx);
    waitUntil(appFor(env).refreshDue({ waitUntil }));
  },
};
