// A Deno program that lists users from Microsoft Graph with the app's token. Tokens are shared
// with every Deno process that opens the same KV file (DenoKvStore): a fleet makes one token
// request per token lifetime.
//
//   CLIENT_ID=... TENANT_ID=... CLIENT_SECRET=... deno run --allow-net --allow-env \
//     --unstable-kv --allow-read=. --allow-write=. www/examples/deno.ts
//
// In a project with a package.json, `npm install entra-edge` and import "entra-edge"; without
// one, import "npm:entra-edge". Optional: TOKEN_KV (the KV file, default
// entra-edge-tokens.sqlite), TOKEN_ENDPOINT (a generic OAuth server instead of Entra),
// GRAPH_BASE, SCOPE.
import { ConfidentialClientApplication, DenoKvStore } from "entra-edge";

const env = (name: string) => Deno.env.get(name);
const required = (name: string): string => {
  const value = env(name);
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};
const kv = await Deno.openKv(env("TOKEN_KV") ?? "entra-edge-tokens.sqlite");
const tokenEndpoint = env("TOKEN_ENDPOINT");
const app = new ConfidentialClientApplication({
  auth: {
    clientId: required("CLIENT_ID"),
    clientSecret: required("CLIENT_SECRET"),
    ...(tokenEndpoint ? { tokenEndpoint } : { authority: `https://login.microsoftonline.com/${required("TENANT_ID")}` }),
  },
  cache: { store: new DenoKvStore(kv) },
});
const scopes = [env("SCOPE") ?? "https://graph.microsoft.com/.default"];
const base = env("GRAPH_BASE") ?? "https://graph.microsoft.com";
// The bearer goes only to the scope's resource unless another origin is listed.
const graph = app.createAuthorizedFetch({ scopes, allowedOrigins: [new URL(base).origin] });

const { tokenSource } = await app.acquireTokenByClientCredential({ scopes });
const res = await graph(`${base}/v1.0/users?$top=5`);
const users = res.ok ? (await res.json()).value.map((u: { displayName: string }) => u.displayName).join(", ") : `HTTP ${res.status}`;
console.log(`token from ${tokenSource}; users: ${users}`);
