// The Azure SDK and the Graph SDK as real callers of entra-edge's credentials: @azure/storage-blob
// against Azurite (which checks each token's issuer, audience and lifetime), the Graph client's
// TokenCredentialAuthenticationProvider against the Graph-like API, and the SDK's bearer policy
// meeting a claims challenge; in Node and in Workers in workerd.
// Node only: Azurite and the Azure SDK run in Node.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { startAzurite } from "./support/azurite.mjs";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { forwardTo, startHttpsProxy } from "./support/graph-https.mjs";
import { claimsChallenge, startGraphFake } from "./support/graph-fake.mjs";
import { startIdp } from "./support/idp.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const CHILD = fileURLToPath(new URL("./support/sdk-child.mjs", import.meta.url));
const WWW = fileURLToPath(new URL("..", import.meta.url));
let fake;
let azurite;
let idp;
let graph;
before(async () => {
  [fake, azurite, idp] = await Promise.all([startEntraFake(), startAzurite(), startIdp({ clients: [{ client_id: "sdk-daemon", client_secret: "sdk-secret-value", token_endpoint_auth_method: "client_secret_post" }] })]);
  graph = await startGraphFake({ jwksUri: idp.jwksUri, issuer: idp.issuer, audience: idp.audience });
});
after(() => Promise.all([fake.close(), azurite.stop(), idp.close(), graph.close()]));

/** Runs a scenario of sdk-child.mjs in a Node trusting `caFile`; its JSON outcome. */
async function inChild(scenario, settings, caFile) {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, scenario, JSON.stringify(settings)], { cwd: WWW, env: { ...process.env, NODE_EXTRA_CA_CERTS: caFile } });
  const outcome = JSON.parse(stdout.trim().split("\n").at(-1));
  assert.ok(outcome.ok, outcome.error);
  return outcome;
}

const storageRequests = () => fake.requests.filter((r) => r.form.scope === "https://storage.azure.com/.default");

describe("in Node", () => {
  test("@azure/storage-blob against Azurite: create, upload, download, list with one token request", async () => {
    const n = storageRequests().length;
    const out = await inChild("blob", { azuriteUrl: azurite.url, authorityHost: fake.url, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: SECRET }, azurite.caFile);
    assert.equal(out.text, "hello from entra-edge");
    assert.deepEqual(out.names, ["hello.txt"]);
    assert.equal(out.exists, true, "the second client was served too");
    assert.equal(storageRequests().length - n, 1, "one token request, for https://storage.azure.com/.default");
    assert.equal(out.calls.length, 2, "each client asked the credential once; the second got the cached token");
    assert.ok(out.calls.every((c) => c.scopes.includes("https://storage.azure.com/.default") && c.enableCae), JSON.stringify(out.calls));
  });

  test("@microsoft/microsoft-graph-client's TokenCredentialAuthenticationProvider against the Graph-like API", async () => {
    const proxy = await startHttpsProxy(graph.url);
    try {
      const n = idp.requests.length;
      const out = await inChild("graph", { graphUrl: proxy.url, tokenEndpoint: idp.tokenEndpoint, clientId: "sdk-daemon", clientSecret: "sdk-secret-value" }, proxy.caFile);
      assert.deepEqual(out.first, ["Adele Vance", "Alex Wilber"]);
      assert.equal(out.second, 3);
      assert.equal(out.calls.length, 2, "the provider asks the credential for a token per Graph request");
      assert.equal(idp.requests.length - n, 1, "one token request: the credential's cache answers the second");
      assert.match(graph.requests.at(-1).headers.authorization, /^Bearer ey/);
    } finally {
      await proxy.close();
    }
  });

  test("the Azure SDK's bearer policy turns a claims challenge into getToken({ claims }), which goes to Entra", async () => {
    const claims = { access_token: { nbf: { essential: true, value: "1700000000" } } };
    // The API (the Graph-like fake, behind HTTPS: the policy sends tokens over TLS only)
    // challenges the first request and accepts the retry.
    const proxy = await startHttpsProxy(graph.url);
    const g = graph.requests.length;
    graph.respondWith((req) => (graph.requests.length - g === 1 ? claimsChallenge(req, claims) : { status: 200, body: "ok" }));
    try {
      const n = fake.requests.length;
      const out = await inChild("challenge", { apiUrl: proxy.url, authorityHost: fake.url, tenantId: TENANT, clientId: CLIENT_ID, clientSecret: SECRET }, proxy.caFile);
      assert.equal(out.status, 200);
      assert.equal(out.calls.length, 2);
      assert.deepEqual(JSON.parse(out.calls[1].claims), claims, "the policy passed the decoded claims");
      const sent = fake.requests.slice(n);
      assert.equal(sent.length, 2, "the first token, then one for the challenge: claims bypass the cache");
      assert.deepEqual(JSON.parse(sent[1].form.claims), { access_token: { ...claims.access_token, xms_cc: { values: ["cp1"] } } });
      const seen = graph.requests.slice(g).map((r) => r.headers.authorization);
      assert.equal(seen.length, 2, "the challenged request and its retry");
      assert.ok(seen.every((a) => /^Bearer \S+$/.test(a)), JSON.stringify(seen));
      assert.notEqual(seen[1], seen[0], "the retry carried the new token");
    } finally {
      graph.respondWith(undefined);
      await proxy.close();
    }
  });
});

describe("in workerd", () => {
  test("the Graph client in a Worker: https://graph.microsoft.com answered by the Graph-like API", async () => {
    const bundle = await bundleWorker(fileURLToPath(new URL("./workers/graph-worker.js", import.meta.url)), { platform: "browser" });
    const forwarded = [];
    const mf = startWorker(bundle, {
      bindings: { CLIENT_ID: "sdk-daemon", CLIENT_SECRET: "sdk-secret-value", TOKEN_ENDPOINT: idp.tokenEndpoint },
      outboundService: forwardTo(graph.url, { seen: forwarded }),
    });
    try {
      const body = await (await mf.dispatchFetch("http://worker/users")).json();
      assert.deepEqual(body.names, ["Adele Vance", "Alex Wilber"], body.error);
      assert.equal(new URL(forwarded[0].url).host, "graph.microsoft.com");
      assert.match(forwarded[0].headers.get("authorization"), /^Bearer ey/);
    } finally {
      await mf.dispose();
    }
  });

  test("@azure/storage-blob in a Worker, built from its Node code with nodejs_compat, against Azurite", async () => {
    const bundle = await bundleWorker(fileURLToPath(new URL("./workers/blob-worker.js", import.meta.url)), { platform: "node" });
    const n = storageRequests().length;
    const mf = startWorker(bundle, {
      bindings: { TENANT_ID: TENANT, CLIENT_ID, CLIENT_SECRET: SECRET, AUTHORITY_HOST: fake.url, AZURITE_URL: azurite.url },
      compatibilityFlags: ["nodejs_compat"],
      // workerd trusts the test CA only when told: Azurite's OAuth needs HTTPS.
      outboundService: { network: { allow: ["local"], tlsOptions: { trustedCertificates: [azurite.caPem] } } },
    });
    try {
      const body = await (await mf.dispatchFetch("http://worker/")).json();
      assert.equal(body.text, "hello from workerd", body.error);
      assert.deepEqual(body.names, ["hello.txt"]);
      assert.equal(storageRequests().length - n, 1);
    } finally {
      await mf.dispose();
    }
  });
});
