// A fake of Microsoft Entra ID's v2 token endpoint, POST /{tenant}/oauth2/v2.0/token, for the
// client_credentials grant only. Bodies, statuses and headers copy responses captured from the
// real service (sources cited per error below); where a source does not show a detail, the
// comment says "assumed".
import http from "node:http";
import { X509Certificate, createHash, randomBytes, randomUUID } from "node:crypto";
import { compactVerify, decodeJwt, decodeProtectedHeader } from "jose";
import { closeServer, listen, respond } from "./listen.mjs";

export const TENANT = "8f1c7a52-3c1e-4f0b-9d2a-5b6c7d8e9f01";
export const CLIENT_ID = "4a1b2c3d-5e6f-4789-8abc-def012345678";
export const SECRET_ID = "c0ffee00-1d2e-4f3a-9b8c-7d6e5f4a3b2c";
// Real secrets look like this: 40 characters with '~', '.', '_' and '-'.
export const SECRET = "wX98Q~Zp1.dKf_3rT-5yH~qLm2Ns8Vb4Cj6Ga0Eo";
const DEFAULT_APPS = [{ tenant: TENANT, clientId: CLIENT_ID, secret: SECRET, secretId: SECRET_ID }];

const OIDC_SCOPES = new Set(["openid", "profile", "offline_access", "email"]);
const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

// AADSTS errors: HTTP status, OAuth `error`, and the description text before "\r\nTrace ID".
const ERRORS = {
  // Azure/azure-cli#22145 (current wording); microsoftarchive/BatchAI#31 shows `invalid_request`
  // at the token endpoint (discovery answers `invalid_tenant`). Status 400 assumed.
  90002: [400, "invalid_request", (v) => `Tenant '${v.tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`],
  // AzureAD/microsoft-authentication-library-for-java#382, Microsoft365DSC/MSCloudLoginAssistant#100
  // (/common and /consumers). Status and `error` not shown there: 400 invalid_request assumed.
  9001023: [400, "invalid_request", () => "The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint."],
  // MicrosoftDocs/azure-docs#24064: a token request that names no tenant. Used for /organizations,
  // for which no captured client_credentials response was found (assumed).
  50059: [400, "invalid_request", () => "No tenant-identifying information found in either the request or implied by any provided credentials."],
  // rootinc/laravel-azure-middleware#49: 400 invalid_request.
  900144: [400, "invalid_request", (v) => `The request body must contain the following parameter: '${v.param}'.`],
  // Azure-Samples/active-directory-dotnet-native-aspnetcore#22 (401), ms-identity-javascript-v2#18 (invalid_client).
  7000218: [401, "invalid_client", () => "The request body must contain the following parameter: 'client_assertion' or 'client_secret'."],
  // microsoftgraph/msgraph-sdk-python#889 (invalid_scope), MicrosoftDocs/azure-docs#99862 (wording).
  // Status 400 assumed (RFC 6749 §5.2).
  1002012: [400, "invalid_scope", (v) => `The provided value for scope ${v.scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`],
  // Several resources in one client_credentials request: Azure/azure-sdk-for-net#9076 (body),
  // AzureAD/microsoft-authentication-library-for-js#6069, MicrosoftDocs/azure-docs#43749 (400).
  70011: [400, "invalid_scope", (v) => `The provided request must include a 'scope' input parameter. The provided value for the input parameter 'scope' is not valid. The scope ${v.scope} is not valid.`],
  // microsoft/AzureMonitorAddonForSplunk#114 (body). Status 400 assumed (RFC 6749 §5.2).
  700016: [400, "unauthorized_client", (v) => `Application with identifier '${v.clientId}' was not found in the directory '${v.tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`],
  // Azure/sap-automation#418 ("received HTTP status 401" and the full body), OfficeDev/microsoft-365-agents-toolkit#8621.
  7000215: [401, "invalid_client", (v) => `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${v.clientId}'.`],
  // dotnet/sign#849 (current wording), Azure-Samples/ms-identity-python-webapp#67 (invalid_client).
  // Status 401 assumed, as for 7000215.
  7000222: [401, "invalid_client", (v) => `The provided client secret keys for app '${v.clientId}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`],
  // Azure/azure-sdk-for-net#29007 ("The key was not found."); microsoftgraph/msgraph-sdk-php#1585
  // (reason when the key exists but the signature fails). invalid_client per MSAL.NET there; 401 assumed.
  700027: [401, "invalid_client", (v) => `Client assertion contains an invalid signature. [Reason - ${v.reason}, Thumbprint of key used by client: '${v.thumbprint}', Please visit the Azure Portal, Graph Explorer or directly use MS Graph to see configured keys for app Id '${v.clientId}'. Review the documentation at https://docs.microsoft.com/en-us/graph/deployments to determine the corresponding service endpoint and https://docs.microsoft.com/en-us/graph/api/application-get?view=graph-rest-1.0&tabs=http to build a query request URL, such as 'https://graph.microsoft.com/beta/applications/${v.clientId}']. Alternatively, SNI may be configured on the app. Please ensure that client assertion is being sent with the x5c claim in the JWT header using MSAL's WithSendX5C() method so that Azure Active Directory can validate the certificate being used.`],
  // obikuro/Sato#1 (invalid_client), AzureAD/microsoft-authentication-library-for-java#984 (wording). 401 assumed.
  700024: [401, "invalid_client", (v) => `Client assertion is not within its valid time range. Current time: ${v.now}, assertion valid from ${v.nbf}, expiry time of assertion ${v.exp}. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .`],
  // AzureAD/microsoft-authentication-library-for-dotnet#2746 (invalid_client). 401 assumed.
  700023: [401, "invalid_client", () => "Client assertion audience claim does not match Realm issuer. Review the documentation at https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials ."],
  // learn.microsoft.com/azure/developer/java/sdk/troubleshooting-authentication-service-principal
  // (ClientAssertionCredential table). 401 invalid_client assumed.
  700021: [401, "invalid_client", () => "Client assertion application identifier doesn't match 'client_id' parameter. Review the documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials ."],
  // AzureAD/microsoft-authentication-library-for-java#430 (sub differs from iss). invalid_client, 401 assumed.
  50048: [401, "invalid_client", () => "Subject must match the issuer claim in the client assertion."],
  // panva/openid-client#348: also the answer to an array `aud`. Status and `error` assumed.
  50027: [400, "invalid_request", () => "JWT token is invalid or malformed."],
  // AzureAD/microsoft-identity-web#3467 (Entra accepts RS256..PS512 only). Status and `error`
  // assumed from the sibling AADSTS5002730 (invalid_request, AzureAD/...-for-dotnet#4712).
  5002738: [400, "invalid_request", (v) => `Invalid JWT token. '${v.alg}' is not a supported signature algorithm.`],
  // Azure/azure-sdk-for-net#23324 (wording). Per the MSAL.NET wiki "Client Throttling", Entra sends
  // this as invalid_grant to user flows; client_credentials gets `throttled()` instead. Tests
  // inject it with respondWith. Status 400 assumed.
  50196: [400, "invalid_grant", () => "The server terminated an operation because it encountered a client request loop. Please contact your app vendor."],
};

// Headers every token response carries (Azure/azure-sdk-for-net#37453 lists them; only those
// with unredacted values are copied).
function baseHeaders(req, traceId) {
  const headers = {
    "cache-control": "no-store, no-cache",
    pragma: "no-cache",
    expires: "-1",
    "content-type": "application/json; charset=utf-8",
    "strict-transport-security": "max-age=31536000; includeSubDomains",
    "x-content-type-options": "nosniff",
    "x-ms-request-id": traceId,
  };
  // MSAL sends return-client-request-id: true and gets the id echoed back.
  if (req.headers["return-client-request-id"] === "true" && req.headers["client-request-id"]) {
    headers["client-request-id"] = req.headers["client-request-id"];
  }
  return headers;
}

const entraTimestamp = (ms) => new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, "Z");
// .NET round-trip format used inside AADSTS700024 texts: 7 fractional digits.
const dotnetTime = (ms) => new Date(ms).toISOString().replace(/\.(\d+)Z$/, (_, f) => `.${f.padEnd(7, "0")}Z`);

/** The full Entra error response for `code` (a key of ERRORS), for `req` (a recorded request). */
export function entraError(req, code, vars = {}, now = Date.now()) {
  const [status, error, text] = ERRORS[code];
  const traceId = randomUUID();
  const correlationId = req.headers["client-request-id"] ?? randomUUID();
  const timestamp = entraTimestamp(now);
  const body = {
    error,
    error_description: `AADSTS${code}: ${text(vars)}\r\nTrace ID: ${traceId}\r\nCorrelation ID: ${correlationId}\r\nTimestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://login.microsoftonline.com/error?code=${code}`,
  };
  return { status, headers: baseHeaders(req, traceId), body };
}

/** Entra's client_credentials throttling: 429, Retry-After, plain-text body (MSAL.NET #2855). */
export function throttled(retryAfterSeconds = 60) {
  return { status: 429, headers: { "retry-after": String(retryAfterSeconds) }, body: "Too Many Requests" };
}

const b64url = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");

// Client authentication per RFC 6749 §2.3.1: Basic credentials are form-urlencoded first.
function clientCredentials(req) {
  const [scheme, value] = (req.headers.authorization ?? "").split(" ");
  if (scheme?.toLowerCase() !== "basic" || !value) return { clientId: req.form.client_id, secret: req.form.client_secret };
  const decoded = Buffer.from(value, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const formDecode = (s) => new URLSearchParams(`x=${s}`).get("x");
  return { clientId: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

/**
 * @param {object} [options]
 * @param {Array<{tenant: string, clientId: string, secret?: string, secretId?: string,
 *   secretExpired?: boolean, certificates?: string[]}>} [options.apps] certificates: PEM X.509;
 *   secretId is informative only (sending it is a wrong secret, as in Entra)
 * @param {number} [options.expiresIn] access token lifetime in seconds (Entra: 3599)
 * @param {number} [options.refreshIn] adds `refresh_in` to successful responses
 * @param {() => number} [options.now] clock in ms, for assertion time checks and token claims
 */
// `hostAliases`: origins the fake also answers for in an assertion's `aud` (the benchmark's
// msal-node believes it talks to https://login.microsoftonline.com).
export async function startEntraFake({ apps = DEFAULT_APPS, expiresIn = 3599, refreshIn, now = Date.now, hostAliases = [] } = {}) {
  const registered = apps.map((app) => ({
    ...app,
    tenant: app.tenant.toLowerCase(),
    certs: (app.certificates ?? []).map((pem) => new X509Certificate(pem)),
  }));
  const requests = [];
  let override;
  let url;

  // Entra validates a client assertion against the app's certificates, found by thumbprint.
  async function checkAssertion(req, app, tokenEndpoint) {
    const { client_assertion: assertion } = req.form;
    let header, claims;
    try {
      [header, claims] = [decodeProtectedHeader(assertion), decodeJwt(assertion)];
    } catch {
      return [50027];
    }
    if (typeof claims.aud !== "string") return [50027];
    if (!/^(RS|PS)(256|384|512)$/.test(header.alg)) return [5002738, { alg: header.alg }];
    const thumbprint = header["x5t#S256"] ?? header.x5t ?? "";
    const hash = header["x5t#S256"] ? "sha256" : "sha1";
    const cert = app.certs.find((c) => createHash(hash).update(c.raw).digest("base64url") === thumbprint);
    const hex = Buffer.from(thumbprint, "base64url").toString("hex").toUpperCase();
    if (!cert) return [700027, { clientId: app.clientId, thumbprint: hex, reason: "The key was not found." }];
    try {
      await compactVerify(assertion, cert.publicKey, { algorithms: [header.alg] });
    } catch {
      return [700027, { clientId: app.clientId, thumbprint: hex, reason: "Key was found, but use of the key to verify the signature failed." }];
    }
    if (claims.iss !== app.clientId) return [700021];
    if (claims.sub !== claims.iss) return [50048];
    if (claims.aud !== tokenEndpoint && !hostAliases.some((h) => claims.aud === tokenEndpoint.replace(url, h))) return [700023];
    const t = now();
    const nbf = (claims.nbf ?? 0) * 1000;
    const exp = (claims.exp ?? 0) * 1000;
    // An nbf slightly ahead is accepted (msal-node rounds it up to the next second); the
    // 5-minute tolerance is assumed from Entra's usual clock skew, no capture shows it.
    if (t + 300_000 < nbf || t >= exp) return [700024, { now: dotnetTime(t), nbf: dotnetTime(nbf), exp: dotnetTime(exp) }];
    return null;
  }

  // The checks in the order this fake applies them. Entra's own order between scope and
  // credential checks is not documented.
  async function tokenResponse(req) {
    const fail = (code, vars) => entraError(req, code, { tenant: req.tenant, ...vars }, now());
    // Tenant ids and domain names are case-insensitive.
    const tenant = req.tenant.toLowerCase();
    if (tenant === "common" || tenant === "consumers") return fail(9001023);
    if (tenant === "organizations") return fail(50059);
    if (!registered.some((a) => a.tenant === tenant)) return fail(90002);

    const { clientId, secret } = clientCredentials(req);
    for (const param of ["grant_type", "client_id", "scope"]) {
      if (!(param === "client_id" ? clientId : req.form[param])) return fail(900144, { param });
    }
    // MSAL for Java/Python add openid/profile/offline_access; Entra ignores them here
    // (cmaneu/entra-local#28: the same request succeeds against Entra).
    const scope = req.form.scope;
    const resources = scope.split(" ").filter((s) => s && !OIDC_SCOPES.has(s));
    if (resources.length === 0) return fail(1002012, { scope });
    const notDefault = resources.find((s) => !s.endsWith("/.default") || s === "/.default");
    if (notDefault) return fail(1002012, { scope: notDefault });
    if (resources.length > 1) return fail(70011, { scope });

    const app = registered.find((a) => a.tenant === tenant && a.clientId === clientId);
    if (!app) return fail(700016, { clientId });
    if (req.form.client_assertion) {
      if (req.form.client_assertion_type !== ASSERTION_TYPE) return fail(900144, { param: "client_assertion_type" });
      const problem = await checkAssertion(req, app, `${url}${req.url.split("?")[0]}`);
      if (problem) return fail(...problem);
    } else if (secret === undefined) {
      return fail(7000218);
    } else if (secret !== app.secret) {
      // Also the answer when the secret's ID is sent instead of its value.
      return fail(7000215, { clientId });
    } else if (app.secretExpired) {
      return fail(7000222, { clientId });
    }

    const resource = resources[0].slice(0, -"/.default".length);
    const iat = Math.floor(now() / 1000);
    // Unsigned (alg "none") so tests can read which tenant, app and resource a token is for.
    const claims = { aud: resource, iss: `https://sts.windows.net/${tenant}/`, iat, nbf: iat, exp: iat + expiresIn, appid: clientId, tid: tenant, uti: randomBytes(16).toString("base64url") };
    const body = { token_type: "Bearer", expires_in: expiresIn, ext_expires_in: expiresIn, access_token: `${b64url({ typ: "JWT", alg: "none" })}.${b64url(claims)}.` };
    if (refreshIn !== undefined) body.refresh_in = refreshIn;
    return { status: 200, headers: baseHeaders(req, randomUUID()), body };
  }

  const server = http.createServer(async (incoming, res) => {
    const chunks = [];
    for await (const chunk of incoming) chunks.push(chunk);
    const body = Buffer.concat(chunks).toString();
    const match = /^\/([^/?]+)\/oauth2\/v2\.0\/token(?:\?|$)/.exec(incoming.url);
    const req = {
      method: incoming.method,
      url: incoming.url,
      headers: incoming.headers,
      body,
      form: Object.fromEntries(new URLSearchParams(body)),
      tenant: match?.[1],
    };
    requests.push(req);

    let response = await override?.(req);
    if (response?.destroy) return incoming.socket.destroy();
    if (!response && (!match || incoming.method !== "POST")) response = { status: 404, headers: {}, body: "" };
    response ??= await tokenResponse(req);
    respond(res, response);
  });
  url = await listen(server);

  return {
    url,
    requests,
    /**
     * Overrides responses until respondWith(undefined): fn(req) returns { status, headers?, body } (body: string
     * or JSON value), { destroy: true } to drop the connection, or undefined for the default.
     * It may be async, e.g. to hold a response until the test releases it.
     */
    respondWith(fn) {
      override = fn;
    },
    close: () => closeServer(server),
  };
}
