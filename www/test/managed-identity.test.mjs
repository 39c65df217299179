// Managed identities, DefaultAzureCredential, ChainedTokenCredential, AzureCliCredential and
// getBearerTokenProvider (issue 21), and the environment credentials' unavailability (issue 20).
//
// The managed-identity endpoints cannot run here: support/imds-fake.mjs fakes IMDS, App Service,
// Cloud Shell and Azure Machine Learning from Azure's documentation. Each fake is checked with
// the real client: the same test runs @azure/identity's own ManagedIdentityCredential against it
// (pointed there by the variables it reads) and must get a token, so the fakes speak the
// platforms' protocol. `az` cannot run here either: a fake `az` script is put first on PATH.
import { after, afterEach, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { chmod, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import http from "node:http";
import { decodeJwt } from "jose";
import {
  AzureCliCredential,
  ChainedTokenCredential,
  ClientConfigurationError,
  CredentialUnavailableError,
  DefaultAzureCredential,
  EnvironmentCredential,
  ManagedIdentityCredential,
  NetworkError,
  ServerError,
  WorkloadIdentityCredential,
  getBearerTokenProvider,
} from "entra-edge";
import { IDENTITY_HEADER, MSI_SECRET, SYSTEM, USER, startManagedIdentityFake } from "./support/imds-fake.mjs";
import { listen, closeServer } from "./support/listen.mjs";
import { azureIdentityToken, restoreEnv, setEnv, started } from "./support/mi-env.mjs";

const STORAGE = "https://storage.azure.com/.default";
let fake;
let dir;
let closedPort; // a loopback URL nothing listens on: "IMDS is down / not here"

before(async () => {
  fake = await startManagedIdentityFake();
  dir = await mkdtemp(join(tmpdir(), "entra-edge-mi-"));
  const server = http.createServer();
  closedPort = await listen(server);
  await closeServer(server);
});
after(async () => {
  restoreEnv();
  await fake.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => setEnv());

const SOURCES = [
  ["imds", {}],
  ["appService", {}],
  ["cloudShell", {}],
  ["machineLearning", {}],
  ["machineLearning", { clientId: USER.clientId }],
];

describe("ManagedIdentityCredential against each platform's endpoint, checked with @azure/identity", () => {
  for (const [kind, ids] of SOURCES) {
    test(`${kind}${ids.clientId ? ", user-assigned" : ""}: the same fake serves @azure/identity and entra-edge, with the same request`, async () => {
      setEnv(fake.env[kind]);
      const before = fake.tokenRequests(kind).length;
      const theirs = await azureIdentityToken(ids);
      const theirRequest = fake.tokenRequests(kind).at(-1);

      const ours = await new ManagedIdentityCredential(ids).getToken(STORAGE);
      const ourRequest = fake.tokenRequests(kind).at(-1);
      assert.equal(fake.tokenRequests(kind).length, before + 2);
      const claims = decodeJwt(ours.token);
      assert.equal(claims.aud, "https://storage.azure.com");
      assert.equal(claims.appid, (ids.clientId ? USER : SYSTEM).clientId);
      assert.ok(Math.abs(ours.expiresOnTimestamp - claims.exp * 1000) < 2000, "expires_on read as epoch seconds");
      assert.equal(ourRequest.method, theirRequest.method);
      assert.deepEqual(ourRequest.query, theirRequest.query, "the same query parameters");
      assert.deepEqual(ourRequest.form.resource, theirRequest.form.resource);
      for (const name of ["metadata", "x-identity-header", "secret"]) assert.equal(ourRequest.headers[name], theirRequest.headers[name], name);
    });
  }

  for (const [option, value, param] of [["clientId", USER.clientId, "client_id"], ["resourceId", USER.resourceId, "msi_res_id"], ["objectId", USER.objectId, "object_id"]]) {
    test(`IMDS, user-assigned by ${option}: the parameter @azure/identity sends`, async () => {
      setEnv(fake.env.imds);
      const theirs = await azureIdentityToken({ [option]: value });
      assert.equal(fake.tokenRequests("imds").at(-1).query[param], value);
      const ours = await new ManagedIdentityCredential({ [option]: value }).getToken(STORAGE);
      assert.equal(fake.tokenRequests("imds").at(-1).query[param], value);
      assert.equal(decodeJwt(ours.token).oid, decodeJwt(theirs.token).oid);
    });
  }

  test("the clientId string constructor; a memory hit sends nothing; 1000 concurrent cold calls send one request", async () => {
    setEnv(fake.env.appService);
    const credential = new ManagedIdentityCredential(USER.clientId);
    const before = fake.tokenRequests("appService").length;
    const tokens = await Promise.all(Array.from({ length: 1000 }, () => credential.getToken(STORAGE)));
    assert.equal(new Set(tokens.map((t) => t.token)).size, 1);
    await credential.getToken([STORAGE]);
    assert.equal(fake.tokenRequests("appService").length, before + 1);
    assert.equal(fake.tokenRequests("appService").at(-1).query.client_id, USER.clientId);
    assert.ok(tokens[0].refreshAfterTimestamp < tokens[0].expiresOnTimestamp, "refresh-ahead from half the lifetime");
  });
});

describe("ManagedIdentityCredential when the endpoint fails", () => {
  test("no IMDS here (nothing listens): CredentialUnavailableError after one attempt", async () => {
    setEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: closedPort });
    const error = await new ManagedIdentityCredential().getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof CredentialUnavailableError, String(error));
    assert.equal(error.errorCode, "credential_unavailable");
    assert.match(error.message, /^ManagedIdentityCredential: no managed identity endpoint answered at http:\/\/127\.0\.0\.1:\d+\/metadata\/identity\/oauth2\/token/);
  });

  test("IMDS hangs: CredentialUnavailableError once system.timeoutMs has passed, not retried", async () => {
    setEnv(fake.env.imds);
    const before = fake.tokenRequests("imds").length;
    fake.script("hang");
    const error = await new ManagedIdentityCredential({ system: { timeoutMs: 300 } }).getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof CredentialUnavailableError, String(error));
    assert.match(error.message, /300 ms/);
    assert.equal(fake.tokenRequests("imds").length, before + 1);
  });

  test("IMDS answers 500 then 429 then a token: retried with back-off", async () => {
    setEnv(fake.env.imds);
    const before = fake.tokenRequests("imds").length;
    fake.script({ status: 500, body: { error: "server_error" } }, { status: 429, body: {} });
    const token = await new ManagedIdentityCredential({ system: { maxRetries: 2 } }).getToken(STORAGE);
    assert.ok(token.token);
    assert.equal(fake.tokenRequests("imds").length, before + 3);
  });

  test("IMDS 400 (identity not assigned): CredentialUnavailableError naming the identity", async () => {
    setEnv(fake.env.imds);
    const error = await new ManagedIdentityCredential("00000000-0000-0000-0000-00000000dead").getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof CredentialUnavailableError, String(error));
    assert.match(error.message, /Identity not found: the user-assigned identity with clientId 00000000-0000-0000-0000-00000000dead is not assigned to this VM/);
  });

  test("a wrong answer (200, not JSON) is a NetworkError; a 401 from App Service a ServerError without the header", async () => {
    setEnv(fake.env.imds);
    fake.script({ status: 200, body: "<html>proxy</html>" });
    const error = await new ManagedIdentityCredential({ system: { maxRetries: 0 } }).getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof NetworkError, String(error));
    assert.equal(error.errorCode, "invalid_response");
    setEnv({ ...fake.env.appService, IDENTITY_HEADER: `${IDENTITY_HEADER}-wrong` });
    const refused = await new ManagedIdentityCredential().getToken(STORAGE).catch((e) => e);
    assert.ok(refused instanceof ServerError, String(refused));
    assert.equal(refused.status, 401);
    assert.ok(!refused.message.includes(IDENTITY_HEADER), refused.message);
  });

  test("IMDS slow but within system.timeoutMs: the token, one request", async () => {
    setEnv(fake.env.imds);
    const before = fake.tokenRequests("imds").length;
    fake.script({ delayMs: 300 });
    const token = await new ManagedIdentityCredential({ system: { timeoutMs: 5000 } }).getToken(STORAGE);
    assert.equal(decodeJwt(token.token).aud, "https://storage.azure.com");
    assert.equal(fake.tokenRequests("imds").length, before + 1);
  });

  test("a valid token is served through an outage (stale-if-error)", async () => {
    setEnv(fake.env.imds);
    let now = Date.now();
    const credential = new ManagedIdentityCredential({ system: { now: () => now, maxRetries: 0 } });
    const first = await credential.getToken(STORAGE);
    // Inside the 5-minute expiry buffer: no longer served as fresh, still valid.
    now = first.expiresOnTimestamp - 120_000;
    const before = fake.tokenRequests("imds").length;
    fake.script({ status: 503, body: {} });
    const during = await credential.getToken(STORAGE);
    assert.equal(fake.tokenRequests("imds").length, before + 1, "IMDS was asked and failed");
    assert.equal(during.token, first.token);
  });
});

describe("bad input: named, nothing sent, no value echoed", () => {
  test("two ids, a scope list of two, an unknown option, a Service Fabric endpoint over http", async () => {
    setEnv(fake.env.imds);
    const sent = fake.requests.length;
    assert.throws(() => new ManagedIdentityCredential({ clientId: "a", objectId: "b" }), (e) => e instanceof ClientConfigurationError && e.message === "ManagedIdentityCredential takes one user-assigned id, and both clientId and objectId are set: keep the one that names the identity");
    const two = await new ManagedIdentityCredential().getToken([STORAGE, "https://vault.azure.net/.default"]).catch((e) => e);
    assert.equal(two.errorCode, "invalid_scope");
    assert.match(two.message, /exactly one scope .* got 2/);
    assert.throws(() => new ManagedIdentityCredential({ clientID: "a" }), /unknown option options\.clientID/);
    setEnv({ ...fake.env.appService, IDENTITY_SERVER_THUMBPRINT: "AB12" });
    assert.throws(() => new ManagedIdentityCredential(), (e) => e instanceof ClientConfigurationError && /Service Fabric's IDENTITY_ENDPOINT must be an https URL \(its certificate is checked against IDENTITY_SERVER_THUMBPRINT\)/.test(e.message) && !e.message.includes(IDENTITY_HEADER));
    assert.equal(fake.requests.length, sent, "no request was sent");
  });
});

describe("DefaultAzureCredential, ChainedTokenCredential, getBearerTokenProvider", () => {
  test("nothing available: CredentialUnavailableError listing every source and why", async () => {
    setEnv({ AZURE_POD_IDENTITY_AUTHORITY_HOST: closedPort, PATH: dir });
    const error = await new DefaultAzureCredential().getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof CredentialUnavailableError, String(error));
    for (const name of ["EnvironmentCredential: AZURE_TENANT_ID, AZURE_CLIENT_ID", "WorkloadIdentityCredential: AZURE_TENANT_ID", "ManagedIdentityCredential: no managed identity endpoint", "AzureCliCredential: the Azure CLI (az) was not found"]) {
      assert.ok(error.message.includes(name), `${name} in ${error.message}`);
    }
  });

  test("resolves to the managed identity, and keeps it", async () => {
    setEnv({ ...fake.env.imds, PATH: dir });
    const credential = new DefaultAzureCredential({ managedIdentityClientId: USER.clientId });
    const token = await credential.getToken(STORAGE);
    assert.equal(decodeJwt(token.token).appid, USER.clientId);
    const provider = getBearerTokenProvider(credential, STORAGE);
    assert.equal(await provider(), token.token, "from the memory cache");
  });

  test("AZURE_TOKEN_CREDENTIALS: one credential by name, and an unknown value refused by name", async () => {
    setEnv({ ...fake.env.imds, AZURE_TOKEN_CREDENTIALS: "managedidentitycredential", AZURE_TENANT_ID: "t", AZURE_CLIENT_ID: "c", AZURE_CLIENT_SECRET: "would-fail" });
    assert.ok((await new DefaultAzureCredential().getToken(STORAGE)).token, "EnvironmentCredential was skipped");
    setEnv({ AZURE_TOKEN_CREDENTIALS: "laptop" });
    assert.throws(() => new DefaultAzureCredential(), (e) => e instanceof ClientConfigurationError && e.message === 'DefaultAzureCredential: AZURE_TOKEN_CREDENTIALS must be "prod", "dev", or one of EnvironmentCredential, WorkloadIdentityCredential, ManagedIdentityCredential, AzureCliCredential: fix or unset the variable');
  });

  test("a chain moves on only past CredentialUnavailableError", async () => {
    const unavailable = { getToken: async () => { throw new CredentialUnavailableError({ message: "not here" }); } };
    const failing = { getToken: async () => { throw new ServerError({ name: "ServerError", errorCode: "invalid_client", message: "bad secret" }); } };
    const working = { getToken: async () => ({ token: "t", expiresOnTimestamp: Date.now() + 3600_000 }) };
    assert.equal((await new ChainedTokenCredential(unavailable, working).getToken(STORAGE)).token, "t");
    await assert.rejects(new ChainedTokenCredential(unavailable, failing, working).getToken(STORAGE), /bad secret/);
  });
});

describe("AzureCliCredential against a fake az first on PATH", () => {
  async function fakeAz(script) {
    const bin = await mkdtemp(join(dir, "bin-"));
    await writeFile(join(bin, "az"), `#!/bin/sh\necho "$@" >> "${bin}/calls"\n${script}\n`);
    await chmod(join(bin, "az"), 0o755);
    setEnv({ PATH: `${bin}:${started.PATH}` });
    return { calls: async () => (await readFile(join(bin, "calls"), "utf8").catch(() => "")).trim().split("\n").filter(Boolean) };
  }

  test("a token from az account get-access-token, kept in memory", async () => {
    const expires = Math.floor(Date.now() / 1000) + 3600;
    const az = await fakeAz(`printf '{"accessToken":"cli-token","expiresOn":"2030-01-01 00:00:00.000000","expires_on":${expires},"subscription":"s","tenant":"t","tokenType":"Bearer"}'`);
    const credential = new AzureCliCredential({ tenantId: "contoso.onmicrosoft.com" });
    const token = await credential.getToken(STORAGE);
    assert.deepEqual([token.token, token.expiresOnTimestamp], ["cli-token", expires * 1000]);
    await credential.getToken(STORAGE);
    assert.deepEqual(await az.calls(), ["account get-access-token --output json --resource https://storage.azure.com --tenant contoso.onmicrosoft.com"]);
  });

  test("az hung: CredentialUnavailableError after processTimeoutInMs", async () => {
    await fakeAz("exec sleep 30");
    const error = await new AzureCliCredential({ processTimeoutInMs: 300 }).getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof CredentialUnavailableError, String(error));
    assert.equal(error.message, "AzureCliCredential: az account get-access-token did not finish within 300 ms (options.processTimeoutInMs)");
  });

  test("not logged in: CredentialUnavailableError naming az login; a scope that could be a command never reaches az", async () => {
    const az = await fakeAz(`echo "ERROR: Please run 'az login' to setup account." >&2; exit 1`);
    const error = await new AzureCliCredential().getToken(STORAGE).catch((e) => e);
    assert.ok(error instanceof CredentialUnavailableError, String(error));
    assert.equal(error.message, "AzureCliCredential: the Azure CLI is not logged in: run az login");
    const bad = await new AzureCliCredential().getToken("https://x.example/.default; rm -rf ~").catch((e) => e);
    assert.equal(bad.errorCode, "invalid_scope");
    assert.equal((await az.calls()).length, 1, "only the first call ran az");
  });
});

describe("issue 20: the environment credentials construct, and getToken says what is missing", () => {
  test("EnvironmentCredential and WorkloadIdentityCredential with nothing set", async () => {
    setEnv({ AZURE_CLIENT_ID: "c" });
    const env = await new EnvironmentCredential().getToken(STORAGE).catch((e) => e);
    assert.ok(env instanceof CredentialUnavailableError, String(env));
    assert.equal(env.message, "EnvironmentCredential: AZURE_TENANT_ID, AZURE_CLIENT_SECRET or AZURE_CLIENT_CERTIFICATE_PATH are not set: set them in the environment or pass the option");
    const workload = await new WorkloadIdentityCredential().getToken(STORAGE).catch((e) => e);
    assert.ok(workload instanceof CredentialUnavailableError, String(workload));
    assert.equal(workload.errorCode, "credential_unavailable");
    assert.equal(workload.message, "WorkloadIdentityCredential: AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE are not set: set them in the environment or pass the option");
  });

  test("WorkloadIdentityCredential: a missing token file is named with its cause; a store without encryptionKey names that option", async () => {
    const file = join(dir, "no-such-token");
    setEnv({ AZURE_TENANT_ID: "8f1c7a52-3c1e-4f0b-9d2a-5b6c7d8e9f01", AZURE_CLIENT_ID: "c", AZURE_FEDERATED_TOKEN_FILE: file, AZURE_AUTHORITY_HOST: closedPort });
    const error = await new WorkloadIdentityCredential().getToken(STORAGE).catch((e) => e);
    assert.equal(error.message, `WorkloadIdentityCredential: the federated token file ${file} (AZURE_FEDERATED_TOKEN_FILE or tokenFilePath) could not be read (ENOENT): check the path and that the pod's service account token is mounted`);
    assert.ok(!/clientAssertion/.test(error.message));
    const store = { get: async () => null, put: async () => {}, delete: async () => {} };
    assert.throws(() => new WorkloadIdentityCredential({ cache: { store } }), (e) => /^WorkloadIdentityCredential: options\.cache\.encryptionKey is required with options\.cache\.store/.test(e.message) && !/clientAssertion/.test(e.message));
  });
});
