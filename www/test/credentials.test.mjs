// The Azure SDK credentials with @azure/identity's constructors, against the Entra fake:
// getToken's shape and options, single-flight, CAE, tenants, abort, certificates, assertions,
// and the environment-driven credentials of Node.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeJwt, decodeProtectedHeader } from "jose";
import {
  ClientAssertionCredential,
  ClientCertificateCredential,
  ClientConfigurationError,
  ClientSecretCredential,
  ConfidentialClientApplication,
  EnvironmentCredential,
  LogLevel,
  WorkloadIdentityCredential,
} from "entra-edge";
import { federatedToken, makeCertificate } from "./support/cert.mjs";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";

const GRAPH = "https://graph.microsoft.com/.default";
const OTHER = "fabrikam.example";
let fake;
let cert;
let dir;
before(async () => {
  cert = await makeCertificate("rsa");
  const apps = [TENANT, OTHER].map((tenant) => ({ tenant, clientId: CLIENT_ID, secret: SECRET, certificates: [cert.certificate] }));
  fake = await startEntraFake({ apps, refreshIn: 1800 });
  dir = await mkdtemp(join(tmpdir(), "entra-edge-credentials-"));
});
after(async () => {
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});

const secretCredential = (options = {}) => new ClientSecretCredential(TENANT, CLIENT_ID, SECRET, { authorityHost: fake.url, ...options });

/** A federated token as a platform writes it: a JWT for this app, signed by its certificate. */
const federated = () => federatedToken(cert, CLIENT_ID, `${fake.url}/${TENANT}/oauth2/v2.0/token`);

describe("ClientSecretCredential", () => {
  test("getToken takes a scope string or an array and answers @azure/core-auth's AccessToken", async () => {
    const c = secretCredential();
    const n = fake.requests.length;
    const a = await c.getToken(GRAPH);
    const b = await c.getToken([GRAPH]);
    assert.equal(fake.requests.length - n, 1, "the second call is a memory hit");
    assert.deepEqual(Object.keys(a).sort(), ["expiresOnTimestamp", "refreshAfterTimestamp", "token", "tokenType"]);
    assert.equal(a.tokenType, "Bearer");
    assert.equal(b.token, a.token);
    assert.deepEqual(b, a, "the memory hit answers the same AccessToken");
    assert.deepEqual(c.stats().results, { memory: 1, store: 0, identityProvider: 1 });
    assert.equal(decodeJwt(a.token).aud, "https://graph.microsoft.com");
    assert.ok(a.expiresOnTimestamp > Date.now() + 3_000_000);
    assert.ok(a.refreshAfterTimestamp < a.expiresOnTimestamp && a.refreshAfterTimestamp > Date.now(), "from the token's refreshOn (refresh_in)");
  });

  test("1000 concurrent cold getToken calls make one token request", async () => {
    const c = secretCredential();
    const n = fake.requests.length;
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => c.getToken(GRAPH)));
    assert.equal(fake.requests.length - n, 1);
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
  });

  test("claims bypass the cache; enableCae adds cp1 and its tokens are cached apart", async () => {
    const c = secretCredential();
    const plain = await c.getToken(GRAPH);
    let n = fake.requests.length;
    const cae = await c.getToken(GRAPH, { enableCae: true });
    assert.equal(fake.requests.length - n, 1, "a CAE token is not the plain one");
    assert.notEqual(cae.token, plain.token);
    assert.deepEqual(JSON.parse(fake.requests.at(-1).form.claims), { access_token: { xms_cc: { values: ["cp1"] } } });
    assert.equal((await c.getToken(GRAPH, { enableCae: true })).token, cae.token, "and cached");
    assert.equal((await c.getToken(GRAPH)).token, plain.token);
    n = fake.requests.length;
    const claims = JSON.stringify({ access_token: { nbf: { essential: true, value: "1700000000" } } });
    const challenged = await c.getToken(GRAPH, { enableCae: true, claims });
    assert.equal(fake.requests.length - n, 1, "claims always go to the identity provider");
    assert.notEqual(challenged.token, cae.token);
    assert.deepEqual(JSON.parse(fake.requests.at(-1).form.claims), { access_token: { nbf: { essential: true, value: "1700000000" }, xms_cc: { values: ["cp1"] } } });
  });

  test("tenantId follows additionallyAllowedTenants", async () => {
    await assert.rejects(secretCredential().getToken(GRAPH, { tenantId: OTHER }), (e) => e instanceof ClientConfigurationError && e.errorCode === "tenant_not_allowed");
    const t = await secretCredential({ additionallyAllowedTenants: [OTHER] }).getToken(GRAPH, { tenantId: OTHER });
    assert.equal(decodeJwt(t.token).tid, OTHER);
  });

  test("abortSignal stops one caller's wait; the shared request still serves the others", async () => {
    const c = secretCredential();
    let release;
    const held = new Promise((r) => (release = r));
    fake.respondWith(async () => {
      await held;
      return undefined;
    });
    try {
      const n = fake.requests.length;
      const controller = new AbortController();
      const aborted = c.getToken(GRAPH, { abortSignal: controller.signal });
      const other = c.getToken(GRAPH);
      controller.abort();
      await assert.rejects(aborted, (e) => e.name === "AbortError");
      release();
      assert.ok((await other).token);
      assert.equal(fake.requests.length - n, 1);
      const already = new AbortController();
      already.abort();
      await assert.rejects(c.getToken(GRAPH, { abortSignal: already.signal }), (e) => e.name === "AbortError");
    } finally {
      fake.respondWith(undefined);
    }
  });

  test("@azure/identity's options: refused with what to use instead, or unknown by name", () => {
    assert.throws(() => secretCredential({ tokenCachePersistenceOptions: { enabled: true } }), (e) => e.errorCode === "unsupported_option" && /cache: \{ store \}/.test(e.message));
    assert.throws(() => secretCredential({ authorityHsot: "x" }), (e) => e.errorCode === "invalid_config" && /unknown option options\.authorityHsot/.test(e.message));
    assert.throws(() => new ClientSecretCredential("", CLIENT_ID, SECRET), /tenantId is required/);
    const notes = [];
    secretCredential({ disableInstanceDiscovery: true, system: { logger: (level, m) => notes.push(m) } });
    assert.ok(notes.some((m) => /disableInstanceDiscovery changes nothing/.test(m)), JSON.stringify(notes));
  });

  test("notes and memory hits reach msal-node's loggerCallback too: a note once, at Info; a hit at Verbose", async () => {
    const lines = [];
    const loggerOptions = { loggerCallback: (level, message, pii) => lines.push([level, message, pii]), logLevel: LogLevel.Verbose };
    const c = secretCredential({ disableInstanceDiscovery: true, system: { loggerOptions } });
    await c.getToken(GRAPH);
    await c.getToken(GRAPH);
    const notes = lines.filter(([, m]) => /disableInstanceDiscovery changes nothing/.test(m));
    assert.deepEqual(notes.map(([level]) => level), [LogLevel.Info], JSON.stringify(lines));
    assert.ok(lines.some(([level, m, pii]) => level === LogLevel.Verbose && m === "token served from the memory cache" && pii === false), JSON.stringify(lines));
  });

  test("a msal-node sample's logLevel: \"debug\" constructs, means Info, and is said once (first hour, issue 20)", async () => {
    const lines = [];
    const app = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
      system: { loggerOptions: { loggerCallback: (level, message) => lines.push([level, message]), logLevel: "debug" } },
    });
    await app.acquireTokenByClientCredential({ scopes: [GRAPH] });
    await app.acquireTokenByClientCredential({ scopes: [GRAPH] });
    assert.equal(lines.filter(([, m]) => /logLevel is not a number: Info is used/.test(m)).length, 1, JSON.stringify(lines));
    assert.ok(lines.every(([level]) => level <= LogLevel.Info), "no Verbose line at Info");
    assert.ok(lines.some(([, m]) => m === "token acquired from the identity provider"));
  });

  test("app.asTokenCredential() over an existing app", async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET } });
    const first = await app.acquireTokenByClientCredential({ scopes: [GRAPH] });
    const t = await app.asTokenCredential().getToken(GRAPH);
    assert.equal(t.token, first.accessToken, "the app's own cache");
  });
});

describe("ClientCertificateCredential and ClientAssertionCredential", () => {
  test("one PEM with the key and the chain signs PS256; a path works in Node; an encrypted key is refused", async () => {
    const pem = `${cert.privateKey}\n${cert.certificate}`;
    const c = new ClientCertificateCredential(TENANT, CLIENT_ID, { certificate: pem }, { authorityHost: fake.url, sendCertificateChain: true });
    await c.getToken(GRAPH);
    const header = decodeProtectedHeader(fake.requests.at(-1).form.client_assertion);
    assert.equal(header.alg, "PS256");
    assert.ok(Array.isArray(header.x5c), "sendCertificateChain sends x5c");
    const path = join(dir, "cert.pem");
    await writeFile(path, pem);
    for (const given of [path, { certificatePath: path }]) {
      const fromFile = new ClientCertificateCredential(TENANT, CLIENT_ID, given, { authorityHost: fake.url });
      assert.ok((await fromFile.getToken([GRAPH], { claims: "{}" })).token);
    }
    assert.throws(() => new ClientCertificateCredential(TENANT, CLIENT_ID, { certificate: cert.certificate }), /must hold the private key/);
    assert.throws(() => new ClientCertificateCredential(TENANT, CLIENT_ID, { certificatePath: path, certificatePassword: "p" }), (e) => e.errorCode === "unsupported_option");
    assert.throws(() => new ClientCertificateCredential(TENANT, CLIENT_ID, join(dir, "missing.pem")), (e) => e.errorCode === "invalid_certificate" && /missing\.pem/.test(e.message));
  });

  test("ClientAssertionCredential calls getAssertion for each token request", async () => {
    let calls = 0;
    const c = new ClientAssertionCredential(TENANT, CLIENT_ID, async () => (calls++, federated()), { authorityHost: fake.url });
    await c.getToken(GRAPH);
    await c.getToken(GRAPH);
    await c.getToken(GRAPH, { claims: "{}" });
    assert.equal(calls, 2, "the memory hit needed none");
  });
});

describe("Node: the environment-driven credentials", () => {
  const saved = {};
  const VARS = ["AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_CLIENT_CERTIFICATE_PATH", "AZURE_FEDERATED_TOKEN_FILE", "AZURE_AUTHORITY_HOST", "AZURE_USERNAME"];
  before(() => {
    for (const v of VARS) saved[v] = process.env[v];
  });
  const setEnv = (values) => {
    for (const v of VARS) delete process.env[v];
    Object.assign(process.env, values);
  };
  after(() => setEnv(Object.fromEntries(Object.entries(saved).filter(([, v]) => v !== undefined))));

  test("WorkloadIdentityCredential reads the token file again for each token request", async () => {
    const file = join(dir, "azure-identity-token");
    setEnv({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE: file, AZURE_AUTHORITY_HOST: fake.url });
    const c = new WorkloadIdentityCredential();
    const first = await federated();
    await writeFile(file, first);
    await c.getToken(GRAPH);
    assert.equal(fake.requests.at(-1).form.client_assertion, first);
    const rotated = await federated();
    await writeFile(file, `${rotated}\n`);
    await c.getToken(GRAPH, { claims: "{}" });
    assert.equal(fake.requests.at(-1).form.client_assertion, rotated, "the rotated file was read");
    setEnv({ AZURE_CLIENT_ID: CLIENT_ID });
    await assert.rejects(new WorkloadIdentityCredential().getToken(GRAPH), (e) => e.errorCode === "credential_unavailable" && /AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE are not set/.test(e.message));
  });

  test("EnvironmentCredential: a secret, or a certificate path; what is missing is named", async () => {
    setEnv({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_SECRET: SECRET, AZURE_AUTHORITY_HOST: fake.url });
    assert.ok((await new EnvironmentCredential().getToken(GRAPH)).token);
    assert.equal(fake.requests.at(-1).form.client_secret, SECRET);
    const path = join(dir, "env-cert.pem");
    await writeFile(path, `${cert.privateKey}\n${cert.certificate}`);
    setEnv({ AZURE_TENANT_ID: TENANT, AZURE_CLIENT_ID: CLIENT_ID, AZURE_CLIENT_CERTIFICATE_PATH: path, AZURE_AUTHORITY_HOST: fake.url });
    await new EnvironmentCredential().getToken(GRAPH);
    assert.equal(decodeProtectedHeader(fake.requests.at(-1).form.client_assertion).alg, "PS256");
    setEnv({ AZURE_TENANT_ID: TENANT });
    await assert.rejects(new EnvironmentCredential().getToken(GRAPH), (e) => e.errorCode === "credential_unavailable" && /AZURE_CLIENT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH/.test(e.message));
  });
});
