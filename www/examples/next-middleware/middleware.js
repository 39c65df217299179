// Next.js middleware (it runs in Vercel's Edge runtime): GET /api/users answers with the first
// users from Microsoft Graph, called with the app's token. The package's `edge-light` entry is
// picked by Next's bundler with its wasm as a `?module` import: no next.config.js change.
// Tokens are cached in the isolate, and concurrent requests share one token request.
//
// Environment (Vercel project settings or .env.local): CLIENT_ID, TENANT_ID, CLIENT_SECRET;
// optional TOKEN_ENDPOINT (a generic OAuth server instead of Entra), GRAPH_BASE, SCOPE.
import { ConfidentialClientApplication } from "entra-edge";

export const config = { matcher: "/api/users" };

let graph;
// Built on the first request, not at import: the environment is read where it is set.
function graphClient() {
  if (!graph) {
    const env = process.env;
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: env.CLIENT_ID,
        clientSecret: env.CLIENT_SECRET,
        ...(env.TOKEN_ENDPOINT ? { tokenEndpoint: env.TOKEN_ENDPOINT } : { authority: `https://login.microsoftonline.com/${env.TENANT_ID}` }),
      },
    });
    const base = env.GRAPH_BASE ?? "https://graph.microsoft.com";
    const scopes = [env.SCOPE ?? "https://graph.microsoft.com/.default"];
    graph = { base, fetch: app.createAuthorizedFetch({ scopes, allowedOrigins: [new URL(base).origin] }) };
  }
  return graph;
}

export async function middleware() {
  const { base, fetch } = graphClient();
  const res = await fetch(`${base}/v1.0/users?$top=5`);
  if (!res.ok) return Response.json({ error: `Graph answered HTTP ${res.status}` }, { status: 502 });
  const { value } = await res.json();
  return Response.json({ users: value.map((u) => u.displayName) });
}
