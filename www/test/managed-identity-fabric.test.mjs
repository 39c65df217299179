// Service Fabric's managed identity (issue 21). Its endpoint cannot run here:
// support/imds-fake.mjs fakes it from Azure's docs over a real TLS server (node:https) whose
// certificate the test makes with openssl. The platform names that certificate by its SHA-1
// thumbprint (IDENTITY_SERVER_THUMBPRINT): entra-edge sends through node:https and hands the
// connection to the request only when the peer certificate has that thumbprint
// (www/src/service-fabric.js). The fake is checked with the real client: @azure/identity's own
// ManagedIdentityCredential gets a token from it (it checks the certificate against the CAs it
// trusts, not the thumbprint: the child trusts the test CA through NODE_EXTRA_CA_CERTS).
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import https from "node:https";
import { decodeJwt } from "jose";
import { ClientConfigurationError, ManagedIdentityCredential, NetworkError } from "entra-edge";
import { IDENTITY_HEADER, SYSTEM, startManagedIdentityFake } from "./support/imds-fake.mjs";
import { makeHttpsCertificate } from "./support/https.mjs";
import { closeServer, listen } from "./support/listen.mjs";
import { azureIdentityToken, restoreEnv, setEnv } from "./support/mi-env.mjs";

const STORAGE = "https://storage.azure.com/.default";
let cert;
let other; // another certificate for 127.0.0.1 from the same CA: valid, but not the pinned one
let fake;
before(async () => {
  [cert, other] = await Promise.all([makeHttpsCertificate(), makeHttpsCertificate()]);
  const thumbprint = new X509Certificate(cert.certPem).fingerprint.replaceAll(":", "");
  fake = await startManagedIdentityFake({ tls: { cert: cert.certPem, key: cert.keyPem, thumbprint } });
});
after(async () => {
  restoreEnv();
  await fake.close();
  await Promise.all([cert.cleanup(), other.cleanup()]);
});
afterEach(() => setEnv());

const credential = (options = {}, system = {}) => new ManagedIdentityCredential({ ...options, system: { maxRetries: 0, ...system } });

describe("Service Fabric, checked with @azure/identity", () => {
  test("the secret header, api-version 2019-07-01-preview, a token; @azure/identity gets one from the same fake", async () => {
    setEnv(fake.env.serviceFabric);
    await azureIdentityToken({}, { NODE_EXTRA_CA_CERTS: cert.caFile });
    const theirRequest = fake.tokenRequests("serviceFabric").at(-1);

    const mi = credential();
    const token = await mi.getToken(STORAGE);
    const ourRequest = fake.tokenRequests("serviceFabric").at(-1);
    assert.notEqual(ourRequest, theirRequest);
    const claims = decodeJwt(token.token);
    assert.equal(claims.aud, "https://storage.azure.com");
    assert.equal(claims.appid, SYSTEM.clientId);
    assert.ok(Math.abs(token.expiresOnTimestamp - claims.exp * 1000) < 2000, "expires_on read as a number of epoch seconds");
    assert.equal(ourRequest.headers.secret, IDENTITY_HEADER);
    assert.deepEqual(ourRequest.query, theirRequest.query, "the same query parameters");
    assert.equal(ourRequest.query["api-version"], "2019-07-01-preview");
    const count = fake.tokenRequests("serviceFabric").length;
    await mi.getToken(STORAGE);
    assert.equal(fake.tokenRequests("serviceFabric").length, count, "a memory hit asks nothing");
  });

  test("user-assigned ids go as msal-node sends them (client_id, object_id, mi_res_id)", async () => {
    setEnv(fake.env.serviceFabric);
    for (const [option, name] of [["clientId", "client_id"], ["objectId", "object_id"], ["resourceId", "mi_res_id"]]) {
      await credential({ [option]: "id-1" }).getToken(STORAGE);
      assert.equal(fake.tokenRequests("serviceFabric").at(-1).query[name], "id-1");
    }
  });
});

describe("Service Fabric: the certificate is pinned", () => {
  test("another certificate (valid for 127.0.0.1, from the same CA) is refused before anything is sent", async () => {
    // A TLS server with the other certificate that records whatever bytes reach it.
    let received = 0;
    const server = https.createServer({ cert: other.certPem, key: other.keyPem }, (req, res) => res.end("{}"));
    server.on("secureConnection", (socket) => socket.on("data", (d) => (received += d.length)));
    const base = (await listen(server)).replace("http:", "https:");
    try {
      setEnv({ ...fake.env.serviceFabric, IDENTITY_ENDPOINT: `${base}/fabric/token` });
      const error = await credential().getToken(STORAGE).catch((e) => e);
      assert.ok(error instanceof NetworkError, String(error));
      assert.match(error.message, /certificate whose SHA-1 thumbprint is not IDENTITY_SERVER_THUMBPRINT: the connection was closed before anything was sent/);
      assert.ok(!error.message.includes(IDENTITY_HEADER));
      assert.equal(received, 0, "no request bytes, so no secret header, reached the server");
    } finally {
      await closeServer(server);
    }
  });

  test("the fake's own endpoint with a wrong thumbprint: no request reaches it", async () => {
    setEnv({ ...fake.env.serviceFabric, IDENTITY_SERVER_THUMBPRINT: "00".repeat(20) });
    const before = fake.requests.length;
    const error = await credential().getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(fake.requests.length, before);
  });

  test("system.fetch cannot pin: refused from the constructor, naming it", () => {
    setEnv(fake.env.serviceFabric);
    assert.throws(() => credential({}, { fetch }), (e) => e instanceof ClientConfigurationError && /system\.fetch and system\.networkClient cannot do: remove them/.test(e.message));
  });

  test("a malformed IDENTITY_SERVER_THUMBPRINT is named, not echoed", () => {
    setEnv({ ...fake.env.serviceFabric, IDENTITY_SERVER_THUMBPRINT: "not-a-thumbprint-zz" });
    assert.throws(() => credential(), (e) => e instanceof ClientConfigurationError && /IDENTITY_SERVER_THUMBPRINT must be the SHA-1 thumbprint/.test(e.message) && !e.message.includes("not-a-thumbprint-zz"));
  });
});

describe("Service Fabric: the endpoint slow, hung, down, wrong", () => {
  test("slow: a token; hung: NetworkError (timeout) within system.timeoutMs", async () => {
    setEnv(fake.env.serviceFabric);
    fake.script({ delayMs: 300 });
    assert.ok((await credential({}, { timeoutMs: 5000 }).getToken(STORAGE)).token);
    fake.script("hang");
    const error = await credential({}, { timeoutMs: 500 }).getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.errorCode, "timeout");
  });

  test("down: NetworkError", async () => {
    const server = https.createServer({ cert: cert.certPem, key: cert.keyPem });
    const closed = (await listen(server)).replace("http:", "https:");
    await closeServer(server);
    setEnv({ ...fake.env.serviceFabric, IDENTITY_ENDPOINT: `${closed}/fabric/token` });
    const error = await credential().getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.errorCode, "fetch_failed");
  });

  test("wrong answer: the endpoint's error body echoing the secret is scrubbed", async () => {
    setEnv(fake.env.serviceFabric);
    fake.script({ status: 401, body: { error: { code: "SecretHeaderNotFound", message: `bad secret ${IDENTITY_HEADER}` } } });
    const error = await credential().getToken(STORAGE).catch((e) => e);
    assert.equal(error.name, "ServerError", String(error));
    assert.equal(error.status, 401);
    assert.ok(!JSON.stringify({ ...error, message: error.message }).includes(IDENTITY_HEADER));
  });
});
