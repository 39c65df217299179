// createAuthorizedFetch: fetch's signature, with the app's token attached and the two refusals
// a token can fix handled once: a claims challenge (re-acquire with its claims) and a plain 401
// (re-acquire skipping the cache). Graph's missing-consent 403 becomes ConsentRequiredError.
//
// The bearer goes only where the token is meant to go: to the origin of the scope's resource
// (when it is an https URL, or a well-known resource id) or an origin listed in allowedOrigins,
// and never across a redirect to another origin, whatever fetch would do with redirects: they
// are followed here, by hand. A resource without an origin (api://…, an app id) sends nothing
// until allowedOrigins says where.
//
// A plain 401 forces a new token at most once per token: a token acquired in the last few
// seconds is not the problem, and an API that keeps answering 401 must not get the app
// throttled by the identity provider.
import { claimsFromChallenge, isConsentDenied } from "../pkg/entra_edge.js";
import { ACQUIRE, NOW } from "./credentials.js";
import { configError as refuse, ConsentRequiredError } from "./errors.js";

const OPTIONS = new Set(["scopes", "waitUntil", "fetch", "allowedOrigins"]);
const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;
// Fetch drops these when a redirect turns a request into a GET without a body.
const BODY_HEADERS = ["content-encoding", "content-language", "content-location", "content-type", "content-length"];
// A 401 to a token younger than this is returned as it is, without a new token request.
const FRESH_TOKEN_MS = 5000;
// Resource ids whose origin is known (Microsoft Graph's application id).
const KNOWN_ORIGINS = new Map([["00000003-0000-0000-c000-000000000000", "https://graph.microsoft.com"]]);

/** The scopes' resource ("https://graph.microsoft.com", "api://my-api") as written. */
function resourceOf(scopes) {
  const first = Array.isArray(scopes) && typeof scopes[0] === "string" ? scopes[0] : "";
  return first.endsWith("/.default") ? first.slice(0, -"/.default".length) : first;
}

/** The origin the resource names: an https URL's, a well-known id's, otherwise null. */
function resourceOrigin(resource) {
  const known = KNOWN_ORIGINS.get(resource.toLowerCase());
  if (known) return known;
  try {
    const url = new URL(resource);
    return url.protocol === "https:" ? url.origin : null;
  } catch {
    return null;
  }
}

function checkOptions(options) {
  if (options === null || typeof options !== "object") throw refuse("invalid_config", "createAuthorizedFetch options must be an object: { scopes: [\"https://graph.microsoft.com/.default\"] }");
  for (const name of Object.keys(options)) {
    if (!OPTIONS.has(name)) throw refuse("invalid_config", `unknown option createAuthorizedFetch.${name}: check its spelling against the documented options`);
  }
  const { allowedOrigins = [], fetch, waitUntil } = options;
  if (fetch !== undefined && typeof fetch !== "function") throw refuse("invalid_config", "createAuthorizedFetch.fetch must be a function");
  if (waitUntil !== undefined && typeof waitUntil !== "function") throw refuse("invalid_config", "createAuthorizedFetch.waitUntil must be a function");
  const bad = () => refuse("invalid_config", "createAuthorizedFetch.allowedOrigins must be an array of origins like \"https://api.example.com\" (scheme, host and port, no path)");
  if (!Array.isArray(allowedOrigins)) throw bad();
  return allowedOrigins.map((origin) => {
    let url;
    try {
      url = new URL(origin);
    } catch {
      throw bad();
    }
    if (typeof origin !== "string" || url.origin === "null" || url.origin !== origin.replace(/\/$/, "")) throw bad();
    return url.origin;
  });
}

/** Why `origin` may not receive the token, for the origin_not_allowed message. */
function notAllowed(origin, resource, resourceOriginOf) {
  const list = `List the origin in createAuthorizedFetch({ allowedOrigins: ["${origin}"] }) if it should receive it`;
  if (resourceOriginOf !== null) {
    return `${origin} is not where this token is meant to go: the scope's resource is ${resourceOriginOf}. No token was sent. ${list}`;
  }
  return `${origin} may not receive this token: the scope's resource ${JSON.stringify(resource)} is not an https URL, so where the token may go is only what allowedOrigins lists. No token was sent. ${list}`;
}

export function createAuthorizedFetch(app, core, options) {
  const allowedOrigins = checkOptions(options);
  const { scopes, waitUntil, fetch: fetchImpl } = options;
  const send = fetchImpl ?? ((request) => globalThis.fetch(request));
  const resource = resourceOf(scopes);
  const origin = resourceOrigin(resource);
  const allowed = new Set(origin === null ? allowedOrigins : [origin, ...allowedOrigins]);
  // The raw answer (times in epoch ms, issuedAt): the public result does not carry issuedAt.
  const acquire = (extra) => app[ACQUIRE]({ scopes, ...(waitUntil ? { waitUntil } : {}), ...extra });

  /** Sends `request` with the bearer, following redirects by hand; the bearer stays on its origin. */
  async function sendWithToken(request, token, replayable) {
    const mode = request.redirect;
    const origin = new URL(request.url).origin;
    let current = request;
    for (let hops = 0; ; hops++) {
      const headers = new Headers(current.headers);
      if (new URL(current.url).origin === origin) headers.set("authorization", `${token.tokenType} ${token.accessToken}`);
      else headers.delete("authorization");
      // A clone when the body may be needed again (a 307/308 re-sends it).
      const response = await send(new Request(replayable ? current.clone() : current, { headers, redirect: "manual" }));
      const location = response.headers.get("location");
      if (mode === "manual" || !REDIRECTS.has(response.status) || location === null) return response;
      await response.body?.cancel();
      if (mode === "error") throw new TypeError(`fetch failed: ${current.url} redirected and the request's redirect mode is "error"`);
      if (hops >= MAX_REDIRECTS) throw new TypeError(`fetch failed: more than ${MAX_REDIRECTS} redirects from ${request.url}`);
      const next = new URL(location, current.url);
      // As fetch does: 303 (but HEAD) and a POST's 301/302 become a GET without a body.
      const toGet = (response.status === 303 && current.method !== "HEAD") || ((response.status === 301 || response.status === 302) && current.method === "POST");
      if (!toGet && current.body !== null && !replayable) return response; // a stream body cannot be sent twice
      const nextHeaders = new Headers(current.headers);
      nextHeaders.delete("authorization");
      if (toGet) for (const name of BODY_HEADERS) nextHeaders.delete(name);
      current = new Request(next, {
        method: toGet ? "GET" : current.method,
        headers: nextHeaders,
        body: toGet || current.body === null ? null : await current.clone().arrayBuffer(),
        signal: current.signal,
      });
    }
  }

  return async function authorizedFetch(input, init) {
    // Built once: a Request input is read once (its body), then cloned for each attempt.
    const request = new Request(input, init);
    const url = new URL(request.url);
    if (!allowed.has(url.origin)) throw refuse("origin_not_allowed", notAllowed(url.origin, resource, origin));
    // A stream given in init can be read once: such requests are sent once, never retried.
    const replayable = !(init?.body instanceof ReadableStream);
    const token = await acquire({});
    let response = await sendWithToken(request, token, replayable);
    if (response.status === 401 && replayable) {
      const claims = claimsFromChallenge(response.headers.get("www-authenticate") ?? undefined);
      const young = token.issuedAt != null && app[NOW]() - token.issuedAt < FRESH_TOKEN_MS;
      if (!claims && young) return response;
      await response.body?.cancel();
      response = await sendWithToken(request, await acquire(claims ? { claims } : { skipCache: true }), replayable);
    }
    if (response.status === 403 && isConsentDenied(403, await response.clone().text())) {
      throw new ConsentRequiredError({ adminConsentUrl: core.consentUrl() ?? null, url: request.url });
    }
    return response;
  };
}
