// A test Worker: acquires a token with the config in its bindings and reports the result.
//   GET /token          acquire (waitUntil given) and answer with the result
//   GET /start          start an acquisition (waitUntil given to the library only) and answer at
//                       once: the request that started the fetch finishes first
//   GET /token?bare=1   acquire without waitUntil
//   GET /start?bare=1   start an acquisition with no waitUntil at all and answer at once: workerd
//                       cancels its token request, and the followers must not hang
//   GET /names          each exported function's name, by its export name
import * as api from "entra-edge";
import { ConfidentialClientApplication, AuthError } from "entra-edge";

let app;
function appFor(env) {
  app ??= new ConfidentialClientApplication({
    auth: {
      clientId: env.CLIENT_ID,
      authority: env.AUTHORITY,
      ...(env.CLIENT_SECRET ? { clientSecret: env.CLIENT_SECRET } : {}),
      ...(env.PRIVATE_KEY ? { clientCertificate: { privateKey: env.PRIVATE_KEY, x5c: env.CERTIFICATE } } : {}),
    },
    cache: { store: env.NO_STORE ? null : env.TOKEN_CACHE },
    system: {
      ...(env.TIMEOUT_MS ? { timeoutMs: Number(env.TIMEOUT_MS) } : {}),
      ...(env.DEADLINE_MS ? { deadlineMs: Number(env.DEADLINE_MS) } : {}),
    },
  });
  return app;
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === "/names") {
      return Response.json(Object.entries(api).flatMap(([name, value]) => (typeof value === "function" ? [[name, value.name]] : [])));
    }
    const request_ = { scopes: [env.SCOPE], ...(url.searchParams.has("bare") ? {} : { waitUntil: ctx.waitUntil.bind(ctx) }) };
    try {
      if (url.pathname === "/start") {
        // Only the library gets waitUntil (unless bare): keeping the token request alive after
        // this response is its job, not this handler's.
        appFor(env).acquireTokenByClientCredential(request_).catch(() => {});
        return Response.json({ started: true });
      }
      const r = await appFor(env).acquireTokenByClientCredential(request_);
      return Response.json({ tokenSource: r.tokenSource, accessToken: r.accessToken, expiresOn: r.expiresOn.toISOString() });
    } catch (e) {
      if (e instanceof AuthError) return Response.json({ error: e.errorCode, message: e.message, name: e.name }, { status: 502 });
      throw e;
    }
  },
};
