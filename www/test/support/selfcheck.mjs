// Proves the local servers behave before tests rely on them: `node www/test/support/selfcheck.mjs`.
// Uses plain fetch only, so a failure here is a server problem, not a library one.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { SignJWT, decodeJwt, importPKCS8 } from "jose";
import { makeCertificate } from "./cert.mjs";
import { CLIENT_ID, SECRET as ENTRA_SECRET, SECRET_ID, TENANT, startEntraFake, throttled } from "./entra-fake.mjs";
import { startGraphFake } from "./graph-fake.mjs";
import { SECRET, startIdp } from "./idp.mjs";

// RFC 6749 §2.3.1: Basic credentials are form-urlencoded before base64.
const formEncode = (s) => new URLSearchParams({ v: s }).toString().slice(2);
const basic = (id, secret) => `Basic ${Buffer.from(`${formEncode(id)}:${formEncode(secret)}`).toString("base64")}`;

async function post(url, form, headers = {}) {
  const res = await fetch(url, { method: "POST", headers, body: new URLSearchParams(form) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: text.startsWith("{") ? JSON.parse(text) : undefined };
}

const checks = [];
const check = (name, fn) => checks.push([name, fn]);

const idp = await startIdp();
const graph = await startGraphFake({ jwksUri: idp.jwksUri, issuer: idp.issuer, audience: idp.audience });
const [rsa, otherRsa, ec] = await Promise.all([makeCertificate("rsa"), makeCertificate("rsa"), makeCertificate("ec")]);
const entra = await startEntraFake({
  apps: [{ tenant: TENANT, clientId: CLIENT_ID, secret: ENTRA_SECRET, secretId: SECRET_ID, certificates: [rsa.certificate, ec.certificate] }],
});

const idpToken = (scope, clientId = "secret-post") =>
  post(idp.tokenEndpoint, { grant_type: "client_credentials", client_id: clientId, client_secret: SECRET, scope });

check("idp: client_secret_post returns a JWT access token", async () => {
  const r = await idpToken("User.Read.All");
  assert.equal(r.status, 200, r.text);
  assert.equal(r.json.token_type, "Bearer");
  assert.deepEqual(decodeJwt(r.json.access_token).roles, ["User.Read.All"]);
  assert.match(idp.requests.at(-1).body, /client_secret=s3cr%2Bt\+%2520%3A%7E\+x/);
});

check("idp: client_secret_basic with form-encoded credentials", async () => {
  const r = await post(idp.tokenEndpoint, { grant_type: "client_credentials", scope: "users.read" }, { authorization: basic("secret-basic", SECRET) });
  assert.equal(r.status, 200, r.text);
  assert.equal(decodeJwt(r.json.access_token).client_id, "secret-basic");
});

check("idp: raw (unencoded) Basic credentials are refused", async () => {
  const raw = `Basic ${Buffer.from(`secret-basic:${SECRET}`).toString("base64")}`;
  const r = await post(idp.tokenEndpoint, { grant_type: "client_credentials" }, { authorization: raw });
  assert.equal(r.status, 401);
});

check("idp: wrong secret is 401 invalid_client", async () => {
  const r = await post(idp.tokenEndpoint, { grant_type: "client_credentials", client_id: "secret-post", client_secret: "wrong" });
  assert.equal(r.status, 401);
  assert.equal(r.json.error, "invalid_client");
});

check("graph: token with the role lists users", async () => {
  const { json } = await idpToken("User.Read.All");
  const res = await fetch(`${graph.url}/v1.0/users?$top=2`, { headers: { authorization: `Bearer ${json.access_token}` } });
  const body = await res.json();
  assert.equal(res.status, 200);
  assert.equal(body["@odata.context"], "https://graph.microsoft.com/v1.0/$metadata#users");
  assert.equal(body.value.length, 2);
});

check("graph: token without the role is 403 Authorization_RequestDenied", async () => {
  const { json } = await idpToken("users.read", "secret-post");
  const clientRequestId = randomUUID();
  const res = await fetch(`${graph.url}/v1.0/users`, { headers: { authorization: `Bearer ${json.access_token}`, "client-request-id": clientRequestId } });
  const body = await res.json();
  assert.equal(res.status, 403);
  assert.equal(body.error.code, "Authorization_RequestDenied");
  assert.equal(body.error.message, "Insufficient privileges to complete the operation.");
  assert.equal(body.error.innerError["client-request-id"], clientRequestId);
});

check("graph: missing or forged token is 401 with a challenge", async () => {
  for (const authorization of [undefined, "Bearer eyJhbGciOiJub25lIn0.e30."]) {
    const res = await fetch(`${graph.url}/v1.0/users`, { headers: authorization ? { authorization } : {} });
    assert.equal(res.status, 401);
    assert.match(res.headers.get("www-authenticate"), /^Bearer realm="", authorization_uri=/);
    assert.equal((await res.json()).error.code, "InvalidAuthenticationToken");
  }
});

const entraForm = (extra) => ({ client_id: CLIENT_ID, scope: "https://graph.microsoft.com/.default", grant_type: "client_credentials", ...extra });

check("entra: right secret (post and basic) returns Entra's success body", async () => {
  for (const [form, headers] of [[entraForm({ client_secret: ENTRA_SECRET }), {}], [{ scope: "https://graph.microsoft.com/.default", grant_type: "client_credentials" }, { authorization: basic(CLIENT_ID, ENTRA_SECRET) }]]) {
    const r = await post(entra.tokenEndpoint(), form, headers);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(Object.keys(r.json), ["token_type", "expires_in", "ext_expires_in", "access_token"]);
    assert.equal(r.json.expires_in, 3599);
    assert.equal(decodeJwt(r.json.access_token).aud, "https://graph.microsoft.com");
    assert.equal(r.headers.get("cache-control"), "no-store, no-cache");
  }
});

check("entra: wrong secret and pasted secret ID are AADSTS7000215", async () => {
  for (const secret of ["wrong", SECRET_ID]) {
    const correlationId = randomUUID();
    const r = await post(entra.tokenEndpoint(), entraForm({ client_secret: secret }), { "client-request-id": correlationId, "return-client-request-id": "true" });
    assert.equal(r.status, 401);
    assert.equal(r.json.error, "invalid_client");
    assert.deepEqual(r.json.error_codes, [7000215]);
    assert.equal(r.json.correlation_id, correlationId);
    assert.equal(r.headers.get("client-request-id"), correlationId);
    assert.match(r.json.error_description, /^AADSTS7000215: Invalid client secret provided\..*\r\nTrace ID: [0-9a-f-]{36}\r\nCorrelation ID: [0-9a-f-]{36}\r\nTimestamp: \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/s);
    assert.match(r.json.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
    assert.equal(r.json.error_uri, "https://login.microsoftonline.com/error?code=7000215");
  }
});

check("entra: tenant, app and scope errors", async () => {
  const cases = [
    [entra.tokenEndpoint("nope.onmicrosoft.com"), {}, 400, 90002],
    [entra.tokenEndpoint("common"), {}, 400, 9001023],
    [entra.tokenEndpoint(), { client_id: randomUUID() }, 400, 700016],
    [entra.tokenEndpoint(), { scope: "https://graph.microsoft.com/.default https://vault.azure.net/.default" }, 400, 70011],
    [entra.tokenEndpoint(), { scope: "User.Read" }, 400, 1002012],
    [entra.tokenEndpoint(), { scope: "https://graph.microsoft.com/.default openid profile offline_access" }, 200],
  ];
  for (const [url, extra, status, code] of cases) {
    const r = await post(url, entraForm({ client_secret: ENTRA_SECRET, ...extra }));
    assert.equal(r.status, status, `${url} ${JSON.stringify(extra)}: ${r.text}`);
    if (code) assert.deepEqual(r.json.error_codes, [code]);
  }
});

check("entra: certificate assertions (PS256 ok; ES256, unknown key, expired refused)", async () => {
  const tokenEndpoint = entra.tokenEndpoint();
  const assertion = async ({ key, thumbprint, alg = "PS256", exp = "5m" }) =>
    new SignJWT({})
      .setProtectedHeader({ alg, typ: "JWT", "x5t#S256": Buffer.from(thumbprint, "hex").toString("base64url") })
      .setIssuer(CLIENT_ID).setSubject(CLIENT_ID).setAudience(tokenEndpoint).setJti(randomUUID())
      .setIssuedAt().setNotBefore("0s").setExpirationTime(exp)
      .sign(await importPKCS8(key, alg));
  const cases = [
    [{ key: rsa.privateKey, thumbprint: rsa.thumbprintSha256 }, 200],
    [{ key: ec.privateKey, thumbprint: ec.thumbprintSha256, alg: "ES256" }, 400, 5002738],
    [{ key: otherRsa.privateKey, thumbprint: otherRsa.thumbprintSha256 }, 401, 700027],
    [{ key: otherRsa.privateKey, thumbprint: rsa.thumbprintSha256 }, 401, 700027],
    [{ key: rsa.privateKey, thumbprint: rsa.thumbprintSha256, exp: "-1m" }, 401, 700024],
  ];
  for (const [spec, status, code] of cases) {
    const form = entraForm({ client_assertion_type: "urn:ietf:params:oauth:client-assertion-type:jwt-bearer", client_assertion: await assertion(spec) });
    const r = await post(tokenEndpoint, form);
    assert.equal(r.status, status, r.text);
    if (code) assert.deepEqual(r.json.error_codes, [code]);
  }
});

check("entra: respondWith overrides until reset, and requests are recorded", async () => {
  entra.reset();
  entra.respondWith(() => throttled(60));
  const r = await post(entra.tokenEndpoint(), entraForm({ client_secret: ENTRA_SECRET }));
  assert.equal(r.status, 429);
  assert.equal(r.headers.get("retry-after"), "60");
  entra.reset();
  assert.equal((await post(entra.tokenEndpoint(), entraForm({ client_secret: ENTRA_SECRET }))).status, 200);
  assert.equal(entra.requests.length, 1);
  assert.equal(entra.requests[0].form.client_secret, ENTRA_SECRET);
});

try {
  for (const [name, fn] of checks) {
    try {
      await fn();
      console.log(`ok - ${name}`);
    } catch (e) {
      process.exitCode = 1;
      console.log(`not ok - ${name}\n  ${e.message.replaceAll("\n", "\n  ")}`);
    }
  }
} finally {
  await Promise.all([idp.close(), graph.close(), entra.close()]);
}
