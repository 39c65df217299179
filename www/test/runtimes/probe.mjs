// What each runtime's test checks inside that runtime, with the package as a user imports it:
// two concurrent cold calls, a memory hit, a bad request's error class, and (in the Edge
// runtime) that nothing was left unhandled. Runtime-neutral: Deno, Bun and the Edge runtime run
// this same file; the Node side (runtimes.test.mjs) checks the identity provider's view.
import { AuthError, ClientConfigurationError, ConfidentialClientApplication } from "entra-edge";

/** `config`: { tokenEndpoint, clientId, clientSecret } or { ..., privateKey, thumbprintSha256 }. */
export async function probe({ tokenEndpoint, clientId, clientSecret, privateKey, thumbprintSha256, scope }) {
  const app = new ConfidentialClientApplication({
    auth: { clientId, tokenEndpoint, ...(clientSecret ? { clientSecret } : { clientCertificate: { privateKey, thumbprintSha256 } }) },
  });
  const request = { scopes: [scope] };
  const [a, b] = await Promise.all([app.acquireTokenByClientCredential(request), app.acquireTokenByClientCredential(request)]);
  const c = await app.acquireTokenByClientCredential(request);
  const bad = await app.acquireTokenByClientCredential({ scopes: [] }).then(() => null, (e) => e);
  return {
    sources: [a.tokenSource, b.tokenSource, c.tokenSource],
    accessToken: a.accessToken,
    shared: a.accessToken === b.accessToken && b.accessToken === c.accessToken,
    expiresOnIsDate: c.expiresOn instanceof Date,
    badRequest: { authError: bad instanceof AuthError, configError: bad instanceof ClientConfigurationError, errorCode: bad?.errorCode },
  };
}
