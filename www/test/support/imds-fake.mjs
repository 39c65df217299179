// Fakes of the managed-identity endpoints, which cannot run off Azure: IMDS
// (GET /metadata/identity/oauth2/token, `Metadata: true`), App Service / Functions / Container
// Apps (GET $IDENTITY_ENDPOINT, `X-IDENTITY-HEADER`, api-version 2019-08-01), Cloud Shell
// (POST $MSI_ENDPOINT, form `resource`) and Azure Machine Learning (GET $MSI_ENDPOINT, `secret`,
// api-version 2017-09-01, `clientid`, DEFAULT_IDENTITY_CLIENT_ID for the system-assigned identity),
// Azure Arc (GET $IDENTITY_ENDPOINT, `Metadata: true`, api-version 2019-11-01 or 2020-06-01:
// without a key it writes a fresh key file in the agent's folder and answers 401 with
// `WWW-Authenticate: Basic realm=<that file>`; `Authorization: Basic <content>` gets the token
// once, then the file is gone; system-assigned only) and Service Fabric (https, GET
// $IDENTITY_ENDPOINT, `secret: $IDENTITY_HEADER`, api-version 2019-07-01-preview, `expires_on` a
// number, errors as { error: { code, message } }). Requests, answers and error bodies follow Azure's docs
// ("How to use managed identities for Azure resources on an Azure VM to acquire an access token",
// its error table, App Service's "REST endpoint reference", Arc-enabled servers' "Authenticate
// against Azure resources", Service Fabric's "How to use managed identity in app code") and
// msal-node's ManagedIdentitySources. They are checked against the real client: the tests run
// @azure/identity's own ManagedIdentityCredential against each of them.
//
// Tokens are JWTs shaped as Entra's (iss https://sts.windows.net/<tenant>/, aud = the resource,
// nbf/iat/exp, oid, appid), so Azurite's `--oauth basic` accepts them; the signature is not real.
import http from "node:http";
import https from "node:https";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { closeServer, listen, respond } from "./listen.mjs";

export const MI_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
export const SYSTEM = { clientId: "9a1f0b52-6f0e-4c5e-8a53-0b1f5d3e7c11", objectId: "0e6c9c1b-2d3a-4c6b-9a1e-6b7f0a8d9c21" };
export const USER = {
  clientId: "5c7b2a8e-1f3d-4e6a-b9c0-3d2e1f0a9b87",
  objectId: "b3a2c1d0-9e8f-4a7b-8c6d-5e4f3a2b1c09",
  resourceId: "/subscriptions/0b1f6471-1bf0-4dda-aec3-cb9272f09590/resourcegroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/daemon",
};
export const IDENTITY_HEADER = "b9e1c4f0-7a2d-4e5b-8c3f-1d6a0e9b2c74-header";
export const MSI_SECRET = "c2f0e1d4-5b6a-4c7d-9e8f-0a1b2c3d4e5f-secret";

const PATHS = { "/metadata/identity/oauth2/token": "imds", "/msi/token": "appService", "/cloudshell/token": "cloudShell", "/ml/token": "machineLearning", "/arc/token": "arc", "/fabric/token": "serviceFabric" };

/** Where the Azure Arc agent writes its key files on Linux (the only folder the clients accept there). */
export const ARC_FOLDER = "/var/opt/azcmagent/tokens/";

const b64url = (v) => Buffer.from(typeof v === "string" ? v : JSON.stringify(v)).toString("base64url");

/** An Entra-shaped access token for `identity` and `resource`, living `lifetime` seconds. */
export function miToken(identity, resource, lifetime, now = Date.now()) {
  const iat = Math.floor(now / 1000);
  const claims = { aud: resource, iss: `https://sts.windows.net/${MI_TENANT}/`, iat, nbf: iat, exp: iat + lifetime, oid: identity.objectId, appid: identity.clientId, tid: MI_TENANT, sub: identity.objectId, jti: randomUUID() };
  return `${b64url({ alg: "RS256", typ: "JWT", kid: "fake" })}.${b64url(claims)}.${b64url("not-a-real-signature")}`;
}

const imdsError = (error, description, status = 400) => ({ status, headers: { "content-type": "application/json; charset=utf-8" }, body: { error, error_description: description } });

/**
 * @param {{ lifetime?: number, user?: boolean, tls?: { cert: string, key: string, thumbprint: string }, agent?: boolean }} options
 *   lifetime of the tokens in seconds (IMDS hands out about 24 h); `user: false` when no
 *   user-assigned identity is attached; `tls`: a certificate (and its SHA-1) for the https
 *   listener Service Fabric's endpoint needs (env.serviceFabric is there only with it);
 *   `agent`: the Arc agent also at its own address, http://127.0.0.1:40342 (every path), for a
 *   process in its own network namespace.
 */
export async function startManagedIdentityFake({ lifetime = 86399, user = true, tls, agent = false } = {}) {
  const requests = [];
  // Azure Arc's live keys: content -> key file path.
  const arcKeys = new Map();
  const script = [];
  const hung = new Set();
  const identities = user ? [USER] : [];

  function identityFor(query, names) {
    const [byClient, byObject, byResource] = names;
    const asked = [[byClient, "clientId"], [byObject, "objectId"], [byResource, "resourceId"]].filter(([n]) => query.get(n));
    if (asked.length === 0) return SYSTEM;
    if (asked.length > 1) return undefined;
    const [name, field] = asked[0];
    return identities.find((i) => i[field].toLowerCase() === query.get(name).toLowerCase()) ?? null;
  }

  function success(kind, identity, resource) {
    const now = Date.now();
    const expiresOn = String(Math.floor(now / 1000) + lifetime);
    const token = miToken(identity, resource, lifetime, now);
    // App Service (2019-08-01) sends no expires_in; IMDS, Arc and Cloud Shell send both, as
    // strings; Service Fabric sends expires_on as a number.
    const body =
      kind === "appService"
        ? { access_token: token, expires_on: expiresOn, resource, token_type: "Bearer", client_id: identity.clientId }
        : kind === "serviceFabric"
          ? { token_type: "Bearer", access_token: token, expires_on: Number(expiresOn), resource }
          : { access_token: token, client_id: identity.clientId, expires_in: String(lifetime), expires_on: expiresOn, ext_expires_in: String(lifetime), not_before: String(Math.floor(now / 1000)), resource, token_type: "Bearer" };
    return { status: 200, headers: { "content-type": "application/json; charset=utf-8" }, body };
  }

  async function arcAnswer(req, query) {
    const h = req.headers;
    if (h.metadata !== "true") return imdsError("invalid_request", "Required metadata header not specified");
    if (!["2019-11-01", "2020-06-01"].includes(query.get("api-version"))) return imdsError("invalid_request", "Invalid or missing api-version");
    if (!query.get("resource")) return imdsError("invalid_request", "Required query variable 'resource' is missing");
    const basic = /^Basic (.+)$/.exec(h.authorization ?? "");
    if (!basic) {
      const key = randomBytes(32).toString("hex");
      const path = `${ARC_FOLDER}${randomUUID()}.key`;
      await mkdir(ARC_FOLDER, { recursive: true, mode: 0o700 });
      await writeFile(path, key, { mode: 0o600 });
      arcKeys.set(key, path);
      return { status: 401, headers: { "www-authenticate": `Basic realm=${path}`, "content-type": "application/json; charset=utf-8" }, body: { error: "unauthorized", error_description: "Authorization header with a key is required" } };
    }
    const path = arcKeys.get(basic[1]);
    if (!path) return { status: 401, headers: { "content-type": "application/json; charset=utf-8" }, body: { error: "unauthorized", error_description: "Invalid key" } };
    arcKeys.delete(basic[1]);
    await rm(path, { force: true });
    if (identityFor(query, ["client_id", "object_id", "msi_res_id"]) !== SYSTEM) return imdsError("invalid_request", "User assigned identities are not supported");
    return success("arc", SYSTEM, query.get("resource"));
  }

  function answer(kind, req, query, form) {
    const h = req.headers;
    if (kind === "serviceFabric") {
      const error = (status, code, message) => ({ status, headers: { "content-type": "application/json" }, body: { error: { code, message } } });
      if (h.secret !== IDENTITY_HEADER) return error(401, "SecretHeaderNotFound", "Secret is not found in the request headers.");
      if (query.get("api-version") !== "2019-07-01-preview") return error(400, "InvalidApiVersion", "The api-version is not supported.");
      if (!query.get("resource")) return error(404, "ArgumentNullOrEmpty", "Parameter resource cannot be null or empty.");
      // The cluster's configuration picks the identity: ids in the query change nothing.
      return success(kind, SYSTEM, query.get("resource"));
    }
    if (kind === "imds") {
      if (req.method !== "GET") return imdsError("invalid_request", "Only GET is supported", 405);
      if (h.metadata !== "true") return imdsError("invalid_request", "Required metadata header not specified");
      if (query.get("api-version") !== "2018-02-01") return imdsError("invalid_request", "Invalid or missing api-version");
      if (!query.get("resource")) return imdsError("invalid_request", "Required query variable 'resource' is missing");
      const identity = identityFor(query, ["client_id", "object_id", "msi_res_id"]);
      if (!identity) return imdsError("invalid_request", identity === undefined ? "Multiple user assigned identities specified" : "Identity not found");
      return success(kind, identity, query.get("resource"));
    }
    if (kind === "appService") {
      if (h["x-identity-header"] !== IDENTITY_HEADER) return { status: 401, body: { statusCode: 401, message: "Missing or invalid X-IDENTITY-HEADER" } };
      if (query.get("api-version") !== "2019-08-01" || !query.get("resource")) return { status: 400, body: { statusCode: 400, message: "api-version 2019-08-01 and resource are required" } };
      const identity = identityFor(query, ["client_id", "principal_id", "mi_res_id"]);
      if (!identity) return { status: 400, body: { statusCode: 400, message: "Unable to load the proper Managed Identity.", correlationId: randomUUID() } };
      return success(kind, identity, query.get("resource"));
    }
    if (kind === "machineLearning") {
      if (h.secret !== MSI_SECRET) return { status: 401, body: { statusCode: 401, message: "Missing or invalid secret header" } };
      if (query.get("api-version") !== "2017-09-01" || !query.get("resource")) return { status: 400, body: { statusCode: 400, message: "api-version 2017-09-01 and resource are required" } };
      // It always names the identity: DEFAULT_IDENTITY_CLIENT_ID for the system-assigned one.
      const named = query.get("clientid");
      const identity = [SYSTEM, ...identities].find((i) => named && i.clientId === named);
      if (!identity) return { status: 400, body: { statusCode: 400, message: "Identity not found" } };
      return success(kind, identity, query.get("resource"));
    }
    // Cloud Shell: the signed-in user's identity only.
    if (req.method !== "POST" || h.metadata !== "true") return imdsError("invalid_request", "Required metadata header not specified");
    if (!form.get("resource")) return imdsError("invalid_request", "resource is required");
    return success(kind, SYSTEM, form.get("resource"));
  }

  // The endpoint's own answer (Arc's writes its key file first).
  const real = (kind, req, res, url, form) =>
    Promise.resolve(kind === "arc" ? arcAnswer(req, url.searchParams) : answer(kind, req, url.searchParams, form)).then(
      (a) => respond(res, a),
      (e) => respond(res, { status: 500, body: { error: "server_error", error_description: e.code ?? "the fake failed" } }),
    );
  const handle = (req, res, agentKind) => {
    let raw = "";
    req.on("data", (c) => (raw += c));
    req.on("end", () => {
      const url = new URL(req.url, "http://fake");
      // msal-node asks for the path with a trailing slash; IMDS serves both.
      const kind = agentKind ?? PATHS[url.pathname.replace(/(.)\/$/, "$1")];
      const form = new URLSearchParams(raw);
      const record = { url: req.url, kind, method: req.method, query: Object.fromEntries(url.searchParams), headers: { ...req.headers }, form: Object.fromEntries(form), at: Date.now() };
      requests.push(record);
      if (!kind) return respond(res, { status: 404, body: { error: "not_found" } });
      // A probe without the Metadata header (as @azure/identity sends one) answers at once, as IMDS does.
      const scripted = kind === "imds" && req.headers.metadata !== "true" ? undefined : script.shift();
      if (scripted === "hang") {
        hung.add(res);
        return;
      }
      if (scripted === "reset") return req.socket.destroy();
      // { delayMs }: the real answer, late.
      if (scripted) return void (scripted.delayMs ? setTimeout(() => real(kind, req, res, url, form), scripted.delayMs) : respond(res, scripted));
      real(kind, req, res, url, form);
    });
  };
  const server = http.createServer(handle);
  const base = await listen(server);
  const secure = tls ? https.createServer({ cert: tls.cert, key: tls.key }, handle) : undefined;
  const agentServer = agent ? http.createServer((req, res) => handle(req, res, "arc")) : undefined;
  if (agentServer) await new Promise((resolve, reject) => agentServer.once("error", reject).listen(40342, "127.0.0.1", resolve));
  const secureBase = secure ? (await listen(secure)).replace("http:", "https:") : undefined;
  return {
    base,
    requests,
    /** The next token requests get these answers in order: a response object, { delayMs }, "hang" or "reset". */
    script: (...answers) => script.push(...answers),
    /** Token requests of `kind` (probes without the Metadata header excluded for IMDS). */
    tokenRequests: (kind) => requests.filter((r) => r.kind === kind && (kind !== "imds" || r.headers.metadata === "true")),
    env: {
      imds: { AZURE_POD_IDENTITY_AUTHORITY_HOST: base },
      appService: { IDENTITY_ENDPOINT: `${base}/msi/token`, IDENTITY_HEADER },
      cloudShell: { MSI_ENDPOINT: `${base}/cloudshell/token` },
      machineLearning: { MSI_ENDPOINT: `${base}/ml/token`, MSI_SECRET, DEFAULT_IDENTITY_CLIENT_ID: SYSTEM.clientId },
      arc: { IDENTITY_ENDPOINT: `${base}/arc/token`, IMDS_ENDPOINT: base },
      ...(secure ? { serviceFabric: { IDENTITY_ENDPOINT: `${secureBase}/fabric/token`, IDENTITY_HEADER, IDENTITY_SERVER_THUMBPRINT: tls.thumbprint } } : {}),
    },
    /** Azure Arc key files written and not used yet. */
    arcKeyFiles: () => [...arcKeys.values()],
    async close() {
      for (const res of hung) res.destroy();
      await Promise.all([closeServer(server), secure && closeServer(secure), agentServer && closeServer(agentServer)]);
      await Promise.all([...arcKeys.values()].map((path) => rm(path, { force: true })));
    },
  };
}
