// A Microsoft Graph look-alike: GET /v1.0/users behind real JWT validation (jose, against the
// IdP's JWKS), answering with Graph's status codes, headers and error bodies.
import http from "node:http";
import { randomUUID } from "node:crypto";
import { createRemoteJWKSet, errors, jwtVerify } from "jose";
import { closeServer, listen, respond } from "./listen.mjs";

const USERS = [
  { id: "87d349ed-44d7-43e1-9a83-5f2406dee5bd", displayName: "Adele Vance", userPrincipalName: "AdeleV@contoso.example" },
  { id: "5bde3e51-d13b-4db1-9948-fe4b109d11a7", displayName: "Alex Wilber", userPrincipalName: "AlexW@contoso.example" },
  { id: "4782e723-f4f4-4af3-a76e-25e3bab0d896", displayName: "Megan Bowen", userPrincipalName: "MeganB@contoso.example" },
];

// The application permission GET /v1.0/users needs.
const REQUIRED_ROLE = "User.Read.All";

// Graph's challenge when the token is missing or rejected (extract-authentication-parameters on
// learn.microsoft.com: Graph answers 401 naming the authorize endpoint and its client id).
const CHALLENGE = 'Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", client_id="00000003-0000-0000-c000-000000000000"';

// innerError.date is second-precision without a zone, e.g. "2020-09-11T11:21:34"
// (microsoftgraph/msgraph-sample-reactspa#54).
const graphDate = () => new Date().toISOString().slice(0, 19);

function ids(req) {
  const requestId = randomUUID();
  return { requestId, clientRequestId: req.headers["client-request-id"] ?? requestId };
}

/** A Graph error response: { error: { code, message, innerError } } with Graph's headers. */
export function graphError(req, status, code, message, headers = {}) {
  const { requestId, clientRequestId } = ids(req);
  return {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "request-id": requestId, "client-request-id": clientRequestId, ...headers },
    body: { error: { code, message, innerError: { date: graphDate(), "request-id": requestId, "client-request-id": clientRequestId } } },
  };
}

/**
 * A continuous-access-evaluation claims challenge (learn.microsoft.com/entra/identity-platform/
 * claims-challenge for the header; message from microsoftgraph/msgraph-sdk-java#2355).
 * @param {object} claims e.g. { access_token: { nbf: { essential: true, value: "1661241267" } } }
 */
export function claimsChallenge(req, claims) {
  const encoded = Buffer.from(JSON.stringify(claims)).toString("base64");
  return graphError(req, 401, "InvalidAuthenticationToken", "Continuous access evaluation resulted in challenge with result: InteractionRequired and code: TokenCreatedWithOutdatedPolicies", {
    "www-authenticate": `Bearer realm="", authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims="${encoded}"`,
  });
}

/**
 * GET /v1.0/users lists USERS (honouring $top) to a token with REQUIRED_ROLE in `roles` or `scope`.
 * @param {object} options
 * @param {string} options.jwksUri the token issuer's JWKS (e.g. startIdp().jwksUri)
 * @param {string} options.issuer expected `iss`
 * @param {string} options.audience expected `aud`
 */
export async function startGraphFake({ jwksUri, issuer, audience }) {
  const jwks = createRemoteJWKSet(new URL(jwksUri));
  const requests = [];
  let override;

  async function usersResponse(req) {
    const [scheme, token] = (req.headers.authorization ?? "").split(" ");
    // Messages: msgraph-sample-reactspa#54 (empty), microsoft-graph-docs#4752 (audience),
    // console-java-connect-sample#1 (other failures), besscroft/diyfile#1 (expiry).
    if (scheme !== "Bearer" || !token) return graphError(req, 401, "InvalidAuthenticationToken", "Access token is empty.", { "www-authenticate": CHALLENGE });
    let claims;
    try {
      ({ payload: claims } = await jwtVerify(token, jwks, { issuer, audience }));
    } catch (e) {
      const message =
        e instanceof errors.JWTExpired ? "Access token has expired or is not yet valid."
        : e instanceof errors.JWTClaimValidationFailed && e.claim === "aud" ? "Access token validation failure. Invalid audience."
        : "Access token validation failure.";
      return graphError(req, 401, "InvalidAuthenticationToken", message, { "www-authenticate": CHALLENGE });
    }
    const granted = [...(claims.roles ?? []), ...(claims.scope ?? "").split(" ")];
    if (!granted.includes(REQUIRED_ROLE)) return graphError(req, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.");

    const top = Number(new URL(req.url, "http://graph").searchParams.get("$top")) || USERS.length;
    const { requestId, clientRequestId } = ids(req);
    return {
      status: 200,
      headers: { "content-type": "application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8", "request-id": requestId, "client-request-id": clientRequestId },
      body: { "@odata.context": "https://graph.microsoft.com/v1.0/$metadata#users", value: USERS.slice(0, top) },
    };
  }

  const server = http.createServer(async (incoming, res) => {
    const chunks = [];
    for await (const chunk of incoming) chunks.push(chunk);
    const req = { method: incoming.method, url: incoming.url, headers: incoming.headers, body: Buffer.concat(chunks).toString() };
    requests.push(req);
    let response = await override?.(req);
    if (!response && incoming.method === "GET" && /^\/v1\.0\/users(?:\?|$)/.test(incoming.url)) response = await usersResponse(req);
    // Other Graph routes are not modelled.
    response ??= { status: 404, headers: {}, body: "" };
    respond(res, response);
  });
  const url = await listen(server);

  return {
    url,
    requests,
    /** Overrides responses until respondWith(undefined): fn(req) returns { status, headers, body } or undefined. */
    respondWith(fn) {
      override = fn;
    },
    close: () => closeServer(server),
  };
}
