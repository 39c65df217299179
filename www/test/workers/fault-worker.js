// A test Worker for the fault server: GET /?endpoint=<token endpoint>[&kv=1] acquires with
// SYSTEM retries from the endpoint and answers with the result or the error's fields. One app per
// endpoint, so later requests see its memory and its Retry-After window.
import { ConfidentialClientApplication, AuthError } from "entra-edge";
import { SYSTEM } from "../support/faults.mjs";

const apps = new Map();

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const endpoint = url.searchParams.get("endpoint");
    if (!apps.has(endpoint)) {
      apps.set(endpoint, new ConfidentialClientApplication({
        auth: { clientId: "fault-client", tokenEndpoint: endpoint, clientSecret: "fault-secret" },
        ...(url.searchParams.has("kv") ? { cache: { store: env.TOKEN_CACHE } } : {}),
        system: SYSTEM,
      }));
    }
    try {
      const r = await apps.get(endpoint).acquireTokenByClientCredential({ scopes: ["api"], waitUntil: ctx.waitUntil.bind(ctx) });
      return Response.json({ tokenSource: r.tokenSource, accessToken: r.accessToken });
    } catch (e) {
      if (!(e instanceof AuthError)) throw e;
      const { name, errorCode, message, status, retryAfterMs, isRetryable } = e;
      return Response.json({ name, errorCode, message, status, retryAfterMs, isRetryable });
    }
  },
};
