// The canary: a client secret, a private key and an access token with recognizable values
// must never appear in any error message, error field, serialized error, or log line, over
// every error path we can provoke.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { inspect } from "node:util";
import { ConfidentialClientApplication } from "entra-edge";
import { makeCertificate } from "./support/cert.mjs";
import { CLIENT_ID, TENANT, entraError, startEntraFake } from "./support/entra-fake.mjs";
import { FakeKv } from "./support/fake-kv.mjs";

const SECRET = "CANARY~secret.value_0123456789abcdefXYZ";
const TOKEN = "CANARYTOKEN.eyJhbGciOi.sig";
const GRAPH = ["https://graph.microsoft.com/.default"];
let fake;
let rsa;
before(async () => {
  fake = await startEntraFake({ apps: [{ tenant: TENANT, clientId: CLIENT_ID, secret: SECRET }] });
  rsa = await makeCertificate("rsa");
});
after(() => fake.close());

function assertClean(label, ...things) {
  const keyLine = rsa.privateKey.split("\n")[3];
  const encoded = encodeURIComponent(SECRET);
  for (const thing of things) {
    const text = [inspect(thing, { depth: 5, showHidden: true }), JSON.stringify(thing, Object.getOwnPropertyNames(thing ?? {}))].join("\n");
    for (const canary of [SECRET, encoded, TOKEN, keyLine]) assert.ok(!text.includes(canary), `${label} leaks ${canary.slice(0, 12)}…: ${text.slice(0, 400)}`);
  }
}

const responses = {
  "echo of the request body": (req) => ({ status: 400, headers: { "content-type": "application/json" }, body: { error: "invalid_request", error_description: `bad request: ${req.body}` } }),
  "HTML echo": (req) => ({ status: 500, headers: { "content-type": "text/html" }, body: `<pre>${req.body} ${SECRET}</pre>` }),
  "success without token_type": () => ({ status: 200, body: { access_token: TOKEN, expires_in: 3600 } }),
  "success with bad expires_in": () => ({ status: 200, body: { access_token: TOKEN, token_type: "Bearer", expires_in: "soon" } }),
  "malformed success": () => ({ status: 200, body: `{"access_token":"${TOKEN}"` }),
  "redirect": () => ({ status: 302, headers: { location: `https://evil.example/?t=${TOKEN}` }, body: "" }),
  "throttled": () => ({ status: 429, headers: { "retry-after": "60" }, body: `slow down ${SECRET}` }),
  "Entra 7000215": (req) => entraError(req, 7000215, { clientId: CLIENT_ID }),
  "dropped connection": () => ({ destroy: true }),
  // Retried paths: the annotated messages and the retry log lines.
  "retried 5xx echo": (req) => ({ status: 503, headers: { "retry-after": "0", "content-type": "text/plain" }, body: `${req.body} ${SECRET}` }),
  "timeout": () => new Promise(() => {}),
};
// Retries only where the case is about them; elsewhere Entra's 5 s back-off would only slow the run.
const systemFor = {
  "retried 5xx echo": { maxRetries: 1 },
  "timeout": { maxRetries: 1, timeoutMs: 200, deadlineMs: 1000 },
};

for (const [name, respond] of Object.entries(responses)) {
  test(`no secret or token leaks: ${name}`, async () => {
    const logs = [];
    const app = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
      system: { maxRetries: 0, ...systemFor[name], logger: (...args) => logs.push(args) },
    });
    fake.respondWith(respond);
    try {
      const error = await app.acquireTokenByClientCredential({ scopes: GRAPH }).then(() => null, (e) => e);
      assert.ok(error, `${name} must fail`);
      assertClean(name, error, logs);
    } finally {
      fake.respondWith(undefined);
    }
  });
}

test("no secret or key leaks from configuration errors", () => {
  const configs = [
    { auth: { clientId: CLIENT_ID, authority: "https://login.microsoftonline.com/common", clientSecret: SECRET } },
    { auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, clientAssertion: SECRET } },
    { auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: [SECRET] } },
    { auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientCertificate: rsa.privateKey } },
    { auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientCertificate: { privateKey: rsa.privateKey.replace("MII", "MIX") } } },
    { auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientCertificate: { privateKey: rsa.privateKey } } },
    { auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET }, cache: { encryptionKey: SECRET } },
  ];
  for (const config of configs) {
    const error = (() => {
      try {
        new ConfidentialClientApplication(config);
      } catch (e) {
        return e;
      }
    })();
    assert.ok(error, JSON.stringify(Object.keys(config.auth)));
    assertClean("config error", error);
  }
});

test("no token leaks from store errors", async () => {
  const kv = new FakeKv();
  kv.failPut = new Error("KV PUT failed: 429 Too Many Requests");
  const logs = [];
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    cache: { store: kv },
    system: { logger: (...args) => logs.push(args) },
  });
  fake.respondWith(() => ({ status: 200, body: { access_token: TOKEN, token_type: "Bearer", expires_in: 3600 } }));
  try {
    const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(r.accessToken, TOKEN);
    await kv.settled();
    assert.ok(logs.length > 0);
    assertClean("store logs", logs, kv.calls);
  } finally {
    fake.respondWith(undefined);
  }
});
