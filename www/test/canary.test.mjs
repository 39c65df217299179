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

// The secret as the request body carries it: form encoding turns "~" into "%7E".
const FORM_ENCODED = new URLSearchParams({ x: SECRET }).toString().slice(2);

function assertClean(label, things, extra = []) {
  assert.notEqual(FORM_ENCODED, SECRET, "precondition: the encoded form differs from the secret");
  const keyLine = rsa.privateKey.split("\n")[3];
  for (const thing of things) {
    const text = [inspect(thing, { depth: 5, showHidden: true }), JSON.stringify(thing, Object.getOwnPropertyNames(thing ?? {}))].join("\n");
    for (const canary of [SECRET, FORM_ENCODED, TOKEN, keyLine, ...extra]) assert.ok(!text.includes(canary), `${label} leaks ${canary.slice(0, 12)}…: ${text.slice(0, 400)}`);
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
  // Entra's diagnostic fields are copied into error fields: an echo there is scrubbed too.
  "echo in trace_id, timestamp, error_uri, correlation_id": (req) => ({
    status: 400,
    body: { error: "invalid_request", trace_id: req.body, timestamp: SECRET, error_uri: `https://x/?${req.body}`, correlation_id: SECRET },
  }),
  // client_secret_basic: a server that echoes the Authorization header.
  "echo of the Authorization header": (req) => ({ status: 401, body: { error: "invalid_client", error_description: `bad credentials: ${req.headers.authorization}` } }),
};
const authFor = {
  "echo of the Authorization header": { clientAuthMethod: "client_secret_basic" },
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
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, ...authFor[name] },
      system: { maxRetries: 0, ...systemFor[name], logger: (...args) => logs.push(args) },
    });
    fake.respondWith(respond);
    const n = fake.requests.length;
    try {
      const error = await app.acquireTokenByClientCredential({ scopes: GRAPH }).then(() => null, (e) => e);
      assert.ok(error, `${name} must fail`);
      const sent = fake.requests.slice(n);
      assert.ok(sent.length > 0, "precondition: a token request was sent");
      // client_secret_basic: the credentials as the request carried them are a canary too.
      const extra = [];
      if (authFor[name]?.clientAuthMethod === "client_secret_basic") {
        for (const req of sent) {
          const [scheme, credentials] = (req.headers.authorization ?? "").split(" ");
          assert.equal(scheme, "Basic", "precondition: a Basic Authorization header was sent");
          assert.equal(req.form.client_secret, undefined, "precondition: the secret is not also in the body");
          extra.push(credentials);
        }
      }
      assertClean(name, [error, logs], extra);
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
    assertClean("config error", [error]);
  }
});

test("no password leaks from a URL with credentials in it", () => {
  for (const auth of [
    { authority: "https://app:CANARYPASSWORD@login.microsoftonline.com/contoso.com" },
    { tokenEndpoint: "https://app:CANARYPASSWORD@idp.example/token" },
  ]) {
    assert.throws(() => new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, clientSecret: SECRET, ...auth } }), (e) => {
      assert.match(e.message, /\[redacted\]@/);
      assertClean("URL error", [e], ["CANARYPASSWORD"]);
      return true;
    });
  }
});

test("no signed client assertion leaks when the server echoes it", async () => {
  const certFake = await startEntraFake({ apps: [{ tenant: TENANT, clientId: CLIENT_ID, certificates: [rsa.certificate] }] });
  const logs = [];
  try {
    const app = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${certFake.url}/${TENANT}`, clientCertificate: { privateKey: rsa.privateKey, x5c: rsa.certificate } },
      system: { maxRetries: 0, logger: (...args) => logs.push(args) },
    });
    certFake.respondWith((req) => ({ status: 400, body: { error: "invalid_client", error_description: `assertion ${req.form.client_assertion} refused`, trace_id: req.form.client_assertion } }));
    const error = await app.acquireTokenByClientCredential({ scopes: GRAPH }).then(() => null, (e) => e);
    assert.ok(error);
    const assertion = certFake.requests.at(-1).form.client_assertion;
    assert.match(assertion, /^ey[\w-]+\.[\w-]+\.[\w-]+$/, "precondition: an assertion was sent");
    assertClean("assertion echo", [error, logs], [assertion, assertion.split(".")[2]]);
  } finally {
    await certFake.close();
  }
});

test("no token leaks from store errors or stored values", async () => {
  fake.respondWith(() => ({ status: 200, body: { access_token: TOKEN, token_type: "Bearer", expires_in: 3600 } }));
  try {
    for (const failing of [true, false]) {
      const kv = new FakeKv();
      if (failing) kv.failPut = new Error("KV PUT failed: 429 Too Many Requests");
      const logs = [];
      const app = new ConfidentialClientApplication({
        auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
        cache: { store: kv },
        system: { logger: (...args) => logs.push(args) },
      });
      const r = await app.acquireTokenByClientCredential({ scopes: GRAPH });
      assert.equal(r.accessToken, TOKEN);
      await kv.settled();
      const values = kv.calls.filter(([op]) => op === "put").map(([, , , value]) => value);
      assert.equal(values.length, 1, "the put and its value were recorded");
      // Sealed: neither the value nor its base64url body decodes to the token.
      const decoded = values.map((v) => Buffer.from(v.slice("ee1.".length), "base64url").toString("latin1"));
      assertClean(failing ? "store logs" : "stored values", [logs, kv.calls, values, decoded, [...kv.map.values()]]);
      if (failing) assert.ok(logs.some(([level, m]) => level === "warning" && /429/.test(m)));
    }
  } finally {
    fake.respondWith(undefined);
  }
});
