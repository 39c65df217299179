// A real OAuth 2.0 authorization server (oidc-provider, OpenID-certified) for the generic
// `tokenEndpoint` path: client_credentials with client_secret_post, client_secret_basic and
// private_key_jwt, issuing JWT access tokens for one resource server.
import http from "node:http";
import { randomBytes } from "node:crypto";
import Provider, { errors } from "oidc-provider";
import { exportJWK, generateKeyPair } from "jose";
import { closeServer, listen } from "./listen.mjs";

// Contains every character that breaks naive encoders: '+' (a space in form encoding), '%'
// followed by hex (decodes to something else), ':' (splits Basic credentials), '~' and a space.
export const SECRET = "s3cr+t %20:~ x";
const AUDIENCE = "https://graph.local";
// "User.Read.All" plays the role of a Graph application permission (the Graph fake requires it);
// "users.read" is a plain scope that is not enough for the Graph fake.
const SCOPES = ["users.read", "User.Read.All"];

const DEFAULT_CLIENTS = [
  { client_id: "secret-post", client_secret: SECRET, token_endpoint_auth_method: "client_secret_post" },
  { client_id: "secret-basic", client_secret: SECRET, token_endpoint_auth_method: "client_secret_basic" },
];

// Records the raw request bytes as the HTTP parser pushes them, so the provider still reads the
// body itself (an upstream body parser would make oidc-provider warn and re-encode the form).
class RecordingRequest extends http.IncomingMessage {
  chunks = [];
  push(chunk, encoding) {
    if (chunk) this.chunks.push(Buffer.from(chunk, encoding));
    return super.push(chunk, encoding);
  }
}

async function signingKey(alg) {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), alg, use: "sig", kid: `${alg.toLowerCase()}-${randomBytes(4).toString("hex")}` };
}

/**
 * @param {object} [options]
 * @param {object[]} [options.clients] oidc-provider client metadata, merged over the defaults by
 *   client_id, e.g. { client_id, token_endpoint_auth_method: "private_key_jwt",
 *   token_endpoint_auth_signing_alg: "PS256", jwks: { keys: [publicJwk] } }
 * @param {object} [options.resource] fields merged over the resource server info (audience, scope,
 *   accessTokenTTL, accessTokenFormat, jwt: { sign: { alg } })
 */
export async function startIdp({ clients = [], resource = {} } = {}) {
  const resourceServer = {
    audience: AUDIENCE,
    scope: SCOPES.join(" "),
    accessTokenFormat: "jwt",
    accessTokenTTL: 3600,
    jwt: { sign: { alg: "RS256" } },
    ...resource,
  };
  const byId = new Map([...DEFAULT_CLIENTS, ...clients].map((c) => [c.client_id, c]));
  const requests = [];

  const server = http.createServer({ IncomingMessage: RecordingRequest });
  const issuer = await listen(server);

  const provider = new Provider(issuer, {
    clients: [...byId.values()].map((c) => ({
      grant_types: ["client_credentials"],
      response_types: [],
      redirect_uris: [],
      ...c,
    })),
    jwks: { keys: [await signingKey("RS256"), await signingKey("ES256")] },
    cookies: { keys: [randomBytes(16).toString("hex")] },
    ttl: { ClientCredentials: (ctx, token) => token.resourceServer.accessTokenTTL },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // Clients send only `scope` (no RFC 8707 `resource`), as they do with most servers.
        defaultResource: () => resourceServer.audience,
        getResourceServerInfo(ctx, indicator) {
          if (indicator !== resourceServer.audience) throw new errors.InvalidTarget();
          // oidc-provider silently drops scopes the resource server lacks; real servers answer
          // invalid_scope, and tests need that error.
          const unknown = (ctx.oidc.params.scope ?? "").split(" ").filter((s) => s && !resourceServer.scope.split(" ").includes(s));
          if (unknown.length) throw new errors.InvalidScope("requested scope is not allowed", unknown.join(" "));
          return resourceServer;
        },
      },
    },
    formats: {
      customizers: {
        // Entra puts application permissions in `roles`; mirror that so APIs can check either.
        jwt(ctx, token, jwt) {
          if (token.kind === "ClientCredentials" && token.scope) jwt.payload.roles = token.scope.split(" ");
        },
      },
    },
  });

  const callback = provider.callback();
  server.on("request", (req, res) => {
    res.on("finish", () => {
      if (!req.url.startsWith("/token")) return;
      // Node already lowercases header names.
      requests.push({ method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(req.chunks).toString(), status: res.statusCode });
    });
    callback(req, res);
  });

  return {
    url: issuer,
    issuer,
    tokenEndpoint: `${issuer}/token`,
    jwksUri: `${issuer}/jwks`,
    audience: resourceServer.audience,
    clients: Object.fromEntries([...byId.values()].map((c) => [c.client_id, c.client_secret])),
    requests,
    provider,
    close: () => closeServer(server),
  };
}
