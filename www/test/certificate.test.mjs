// Certificate and assertion credentials: private_key_jwt against a real OAuth server
// (oidc-provider) with ES256, RS256 and PS256; the Entra fake verifying signature, header,
// claims and lifetime; assertion callbacks; and the same RSA flow inside workerd.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createPrivateKey, createPublicKey } from "node:crypto";
import { fileURLToPath } from "node:url";
import { SignJWT, decodeJwt, decodeProtectedHeader } from "jose";
import { ClientConfigurationError, ConfidentialClientApplication } from "entra-edge";
import { federatedToken, makeCertificate } from "./support/cert.mjs";
import { startIdp } from "./support/idp.mjs";
import { CLIENT_ID, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
let rsa;
let ec;
before(async () => ([rsa, ec] = await Promise.all([makeCertificate("rsa"), makeCertificate("ec")])));

const jwk = (pem, alg, kid) => ({ ...createPublicKey(pem).export({ format: "jwk" }), alg, use: "sig", ...(kid ? { kid } : {}) });
const assertionOf = (req) => new URLSearchParams(req.body ?? "").get("client_assertion") ?? req.form?.client_assertion;

describe("private_key_jwt against oidc-provider", () => {
  let idp;
  before(async () => {
    idp = await startIdp({
      clients: [
        { client_id: "jwt-es256", token_endpoint_auth_method: "private_key_jwt", token_endpoint_auth_signing_alg: "ES256", jwks: { keys: [jwk(ec.privateKey, "ES256", "ec-1")] } },
        { client_id: "jwt-rs256", token_endpoint_auth_method: "private_key_jwt", token_endpoint_auth_signing_alg: "RS256", jwks: { keys: [jwk(rsa.privateKey, "RS256")] } },
        { client_id: "jwt-ps256", token_endpoint_auth_method: "private_key_jwt", token_endpoint_auth_signing_alg: "PS256", jwks: { keys: [jwk(rsa.privateKey, "PS256")] } },
      ],
    });
  });
  after(() => idp.close());

  const certs = {
    ES256: () => ({ privateKey: ec.privateKey, keyId: "ec-1" }),
    RS256: () => ({ privateKey: rsa.privateKey, thumbprint: rsa.thumbprint }),
    PS256: () => ({ privateKey: rsa.privateKey, thumbprintSha256: rsa.thumbprintSha256 }),
  };
  for (const [alg, cert] of Object.entries(certs)) {
    test(`${alg}: two token requests with skipCache, each with a fresh assertion`, async () => {
      const app = new ConfidentialClientApplication({
        auth: { clientId: `jwt-${alg.toLowerCase()}`, tokenEndpoint: idp.tokenEndpoint, clientCertificate: cert() },
      });
      const n = idp.requests.length;
      const a = await app.acquireTokenByClientCredential({ scopes: ["users.read"] });
      const b = await app.acquireTokenByClientCredential({ scopes: ["users.read"], skipCache: true });
      assert.equal(b.tokenSource, "identityProvider");
      assert.notEqual(a.accessToken, b.accessToken);
      const sent = idp.requests.slice(n).map(assertionOf);
      assert.equal(sent.length, 2);
      assert.ok(idp.requests.slice(n).every((r) => r.status === 200));
      const [h1, h2] = sent.map(decodeProtectedHeader);
      assert.equal(h1.alg, alg);
      assert.equal(h2.alg, alg);
      const [c1, c2] = sent.map(decodeJwt);
      assert.notEqual(c1.jti, c2.jti, "oidc-provider rejects a reused jti");
      assert.equal(c1.aud, idp.tokenEndpoint);
      if (alg === "ES256") assert.equal(h1.kid, "ec-1");
    });
  }

  test("clientAssertion callback: called once per token request with clientId and tokenEndpoint", async () => {
    const key = createPrivateKey(ec.privateKey);
    const calls = [];
    const app = new ConfidentialClientApplication({
      auth: {
        clientId: "jwt-es256",
        tokenEndpoint: idp.tokenEndpoint,
        clientAssertion: async (ctx) => {
          calls.push(ctx);
          return new SignJWT({}).setProtectedHeader({ alg: "ES256" }).setIssuer(ctx.clientId).setSubject(ctx.clientId)
            .setAudience(ctx.tokenEndpoint).setJti(crypto.randomUUID()).setIssuedAt().setExpirationTime("5m").sign(key);
        },
      },
    });
    await app.acquireTokenByClientCredential({ scopes: ["users.read"] });
    await app.acquireTokenByClientCredential({ scopes: ["users.read"] });
    await app.acquireTokenByClientCredential({ scopes: ["users.read"], skipCache: true });
    assert.deepEqual(calls, [
      { clientId: "jwt-es256", tokenEndpoint: idp.tokenEndpoint },
      { clientId: "jwt-es256", tokenEndpoint: idp.tokenEndpoint },
    ]);
  });

  test("a throwing callback is a ClientConfigurationError, before any request", async () => {
    const app = new ConfidentialClientApplication({
      auth: { clientId: "jwt-es256", tokenEndpoint: idp.tokenEndpoint, clientAssertion: () => { throw new Error("vault down"); } },
    });
    const n = idp.requests.length;
    await assert.rejects(app.acquireTokenByClientCredential({ scopes: ["users.read"] }), (e) => e instanceof ClientConfigurationError && /clientAssertion callback threw/.test(e.message));
    assert.equal(idp.requests.length, n);
  });
});

describe("Entra-like endpoint verifying assertions", () => {
  let fake;
  let skew = 0;
  before(async () => {
    fake = await startEntraFake({ apps: [{ tenant: TENANT, clientId: CLIENT_ID, certificates: [rsa.certificate] }], now: () => Date.now() + skew });
  });
  after(() => fake.close());
  const app = (clientCertificate, extra = {}) =>
    new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientCertificate, ...extra } });

  test("PS256 with x5t#S256 computed from x5c; x5c sent only with sendX5C", async () => {
    for (const sendX5C of [false, true]) {
      const r = await app({ privateKey: rsa.privateKey, x5c: rsa.certificate }, { sendX5C }).acquireTokenByClientCredential({ scopes: GRAPH });
      assert.equal(r.tokenSource, "identityProvider");
      const assertion = fake.requests.at(-1).form.client_assertion;
      const header = decodeProtectedHeader(assertion);
      assert.equal(header.alg, "PS256");
      assert.equal(header.typ, "JWT");
      assert.equal(header["x5t#S256"], Buffer.from(rsa.thumbprintSha256, "hex").toString("base64url"));
      assert.equal("x5c" in header, sendX5C);
      const claims = decodeJwt(assertion);
      assert.equal(claims.aud, `${fake.url}/${TENANT}/oauth2/v2.0/token`);
      assert.equal(claims.iss, CLIENT_ID);
      assert.equal(claims.sub, CLIENT_ID);
      assert.equal(claims.exp - claims.iat, 600);
      assert.equal(claims.nbf, claims.iat);
      assert.match(claims.jti, /^[0-9a-f-]{36}$/);
    }
  });

  test("WebCrypto refusing the RSA key is said as such, before any request", async () => {
    const n = fake.requests.length;
    const subtle = globalThis.crypto.subtle;
    subtle.importKey = () => Promise.reject(new DOMException("refused", "DataError"));
    try {
      await assert.rejects(app({ privateKey: rsa.privateKey, x5c: rsa.certificate }).acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
        assert.ok(e instanceof ClientConfigurationError, e.name);
        assert.equal(e.errorCode, "invalid_certificate");
        assert.match(e.message, /WebCrypto refused auth\.clientCertificate\.privateKey as an RSA signing key/);
        return true;
      });
    } finally {
      delete subtle.importKey;
    }
    assert.equal(fake.requests.length, n);
  });

  test("RS256 with x5t when only the SHA-1 thumbprint is given", async () => {
    await app({ privateKey: rsa.privateKey, thumbprint: rsa.thumbprint }).acquireTokenByClientCredential({ scopes: GRAPH });
    const header = decodeProtectedHeader(fake.requests.at(-1).form.client_assertion);
    assert.equal(header.alg, "RS256");
    assert.equal(header.x5t, Buffer.from(rsa.thumbprint, "hex").toString("base64url"));
  });

  test("a static clientAssertion string is sent as is", async () => {
    const clientAssertion = await federatedToken(rsa, CLIENT_ID, `${fake.url}/${TENANT}/oauth2/v2.0/token`);
    const app = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientAssertion } });
    const n = fake.requests.length;
    const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(r.tokenSource, "identityProvider");
    assert.equal(decodeJwt(r.accessToken).appid, CLIENT_ID);
    assert.equal(fake.requests.length, n + 1);
    const form = fake.requests.at(-1).form;
    assert.deepEqual(Object.keys(form).sort(), ["client_assertion", "client_assertion_type", "client_id", "grant_type", "scope"]);
    assert.equal(form.client_assertion, clientAssertion);
    assert.equal(form.client_assertion_type, "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    assert.equal(form.client_id, CLIENT_ID);
    assert.equal(form.scope, GRAPH[0]);
  });

  test("a certificate Entra does not know: AADSTS700027 with its hint", async () => {
    const other = await makeCertificate("rsa");
    await assert.rejects(app({ privateKey: other.privateKey, x5c: other.certificate }).acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
      assert.deepEqual(e.errorCodes, [700027]);
      assert.match(e.hint, /signature did not verify/);
      return true;
    });
  });

  test("the assertion's lifetime is checked against Entra's clock: AADSTS700024", async () => {
    const a = app({ privateKey: rsa.privateKey, x5c: rsa.certificate });
    skew = 11 * 60_000; // Entra's clock runs 11 minutes ahead of ours
    try {
      await assert.rejects(a.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => e.errorCodes[0] === 700024 && /time range/.test(e.hint));
    } finally {
      skew = 0;
    }
  });

  test("configuration errors at construction", () => {
    const cases = [
      [{ privateKey: ec.privateKey, x5c: ec.certificate }, /AADSTS5002738/],
      [{ privateKey: rsa.privateKey }, /thumbprintSha256/],
      [{ privateKey: "-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----" }, /not readable/],
      [{ privateKey: rsa.privateKey, x5c: ec.certificate }, /does not belong/],
      [{ privateKey: rsa.privateKey, x5c: rsa.certificate, thumbprintSha256: "00".repeat(32) }, /does not match/],
      [{ privateKey: rsa.privateKey, thumbprintSha256: rsa.thumbprintSha256, pfx: "x" }, /unknown option auth\.clientCertificate\.pfx/],
      // readFileSync without an encoding: a Buffer, not the PEM text.
      [{ privateKey: Buffer.from(rsa.privateKey), thumbprintSha256: rsa.thumbprintSha256 }, /auth\.clientCertificate\.privateKey must be a string/],
    ];
    for (const [cert, message] of cases) {
      assert.throws(() => app(cert), (e) => {
        assert.ok(e instanceof ClientConfigurationError, e.stack);
        assert.match(e.message, message);
        assert.ok(!e.message.includes(rsa.privateKey.split("\n")[2]), "no key material in the message");
        return true;
      });
    }
    assert.throws(() => app({ privateKey: rsa.privateKey, thumbprintSha256: rsa.thumbprintSha256 }, { sendX5C: true }), /sendX5C/);
  });

  test("in workerd: a Worker acquires a token with an RSA certificate", async () => {
    const bundle = await bundleWorker(fileURLToPath(new URL("./workers/token-worker.js", import.meta.url)));
    const mf = startWorker(bundle, {
      bindings: { CLIENT_ID, AUTHORITY: `${fake.url}/${TENANT}`, SCOPE: GRAPH[0], PRIVATE_KEY: rsa.privateKey, CERTIFICATE: rsa.certificate, NO_STORE: "1" },
    });
    try {
      const body = await (await mf.dispatchFetch("http://worker/token")).json();
      assert.equal(body.tokenSource, "identityProvider", JSON.stringify(body));
      assert.equal(decodeProtectedHeader(fake.requests.at(-1).form.client_assertion).alg, "PS256");
    } finally {
      await mf.dispose();
    }
  });
});
