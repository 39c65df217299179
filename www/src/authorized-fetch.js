// createAuthorizedFetch: fetch's signature, with the app's token attached and the two refusals
// a token can fix handled once: a claims challenge (re-acquire with its claims) and a plain 401
// (re-acquire skipping the cache). Graph's missing-consent 403 becomes ConsentRequiredError.
import { claimsFromChallenge, isConsentDenied } from "../pkg/entra_edge.js";
import { ConsentRequiredError } from "./errors.js";

export function createAuthorizedFetch(app, core, options) {
  const { scopes, waitUntil, fetch: fetchImpl } = options ?? {};
  const send = fetchImpl ?? ((...args) => globalThis.fetch(...args));

  return async function authorizedFetch(input, init) {
    // A stream body can be read once: such requests are sent once, never retried.
    const streamed = init?.body instanceof ReadableStream || (init?.body === undefined && input instanceof Request && input.body !== null);
    const attempt = (token) => {
      const request = new Request(input, init);
      request.headers.set("authorization", `${token.tokenType} ${token.accessToken}`);
      return send(request);
    };
    const acquire = (extra) => app.acquireTokenByClientCredential({ scopes, ...(waitUntil ? { waitUntil } : {}), ...extra });

    let response = await attempt(await acquire({}));
    if (response.status === 401 && !streamed) {
      const claims = claimsFromChallenge(response.headers.get("www-authenticate") ?? undefined);
      await response.body?.cancel();
      response = await attempt(await acquire(claims ? { claims } : { skipCache: true }));
    }
    if (response.status === 403 && isConsentDenied(403, await response.clone().text())) {
      throw new ConsentRequiredError({ adminConsentUrl: core.consentUrl() ?? null, url: new Request(input, init).url });
    }
    return response;
  };
}
