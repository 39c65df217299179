// msal-node and @azure/identity believe they talk to https://login.microsoftonline.com and
// discover each authority first. These answer that discovery locally, for whichever tenant a
// URL names, so the benchmark's Microsoft clients reach nothing but loopback.
export const LOGIN = "https://login.microsoftonline.com";

/** The OpenID configuration Entra publishes for `tenant` (the fields msal-node reads). */
export function tenantMetadata(tenant) {
  const base = `${LOGIN}/${tenant}`;
  return {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    issuer: `${base}/v2.0`,
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    jwks_uri: `${base}/discovery/v2.0/keys`,
  };
}

/** Entra's instance discovery answer for `tenant` on login.microsoftonline.com. */
export function instanceMetadata(tenant) {
  return {
    tenant_discovery_endpoint: `${LOGIN}/${tenant}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{ preferred_network: "login.microsoftonline.com", preferred_cache: "login.windows.net", aliases: ["login.microsoftonline.com", "login.windows.net"] }],
  };
}

/** The answer to a discovery GET: instance discovery, or the tenant's OpenID configuration. */
export function discovery(url) {
  const { pathname } = new URL(url);
  const tenant = pathname.split("/")[1];
  return pathname.endsWith("/discovery/instance") ? instanceMetadata(tenant) : tenantMetadata(tenant);
}

/**
 * msal's INetworkModule: discovery answered locally; token POSTs sent to `target` (an origin;
 * same path and query), or, given `answer` instead, answered with answer()'s body.
 * @param {{ target: string } | { answer: () => object }} to
 */
export function localNetworkClient({ target, answer }) {
  return {
    sendGetRequestAsync: async (url) => ({ status: 200, headers: {}, body: discovery(url) }),
    async sendPostRequestAsync(url, options) {
      if (answer) return { status: 200, headers: {}, body: answer() };
      const { pathname, search } = new URL(url);
      const res = await fetch(`${target}${pathname}${search}`, { method: "POST", headers: options.headers, body: options.body });
      return { headers: Object.fromEntries(res.headers), body: await res.json(), status: res.status };
    },
  };
}
