// Client-secret acquisition against a real OAuth server (oidc-provider) and the Entra fake:
// request encoding, results, caching, validation before any network call, error mapping,
// and the canary secret that must never surface.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  AuthError,
  ClientConfigurationError,
  ConfidentialClientApplication,
  NetworkError,
  ServerError,
  adminConsentUrl,
  scopeForResource,
} from "entra-edge";
import { SECRET as IDP_SECRET, startIdp } from "./support/idp.mjs";
import { CLIENT_ID, SECRET, SECRET_ID, TENANT, startEntraFake } from "./support/entra-fake.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];

describe("real OAuth server (oidc-provider)", () => {
  let idp;
  before(async () => (idp = await startIdp()));
  after(() => idp.close());

  for (const [clientId, method] of [["secret-post", "client_secret_post"], ["secret-basic", "client_secret_basic"]]) {
    test(`${method} with a secret containing + % : ~ and a space`, async () => {
      const app = new ConfidentialClientApplication({
        auth: { clientId, tokenEndpoint: idp.tokenEndpoint, clientSecret: IDP_SECRET, clientAuthMethod: method },
      });
      const before = idp.requests.length;
      const r = await app.acquireTokenByClientCredential({ scopes: ["users.read"] });
      assert.equal(r.tokenType, "Bearer");
      assert.equal(r.tokenSource, "identityProvider");
      assert.equal(r.fromCache, false);
      assert.deepEqual(r.scopes, ["users.read"]);
      assert.equal(r.tenantId, null);
      assert.ok(r.expiresOn instanceof Date && r.expiresOn > new Date());
      const claims = JSON.parse(Buffer.from(r.accessToken.split(".")[1], "base64url"));
      assert.equal(claims.client_id, clientId);
      assert.equal(idp.requests.length, before + 1);
      const sent = idp.requests.at(-1);
      assert.equal(sent.status, 200);
      assert.equal(sent.headers["client-request-id"], r.correlationId);
      if (method === "client_secret_basic") assert.match(sent.headers.authorization, /^Basic /);
      else assert.ok(new URLSearchParams(sent.body).get("client_secret") === IDP_SECRET);

      const again = await app.acquireTokenForClient({ scopes: ["users.read"] });
      assert.equal(again.tokenSource, "memory");
      assert.equal(again.fromCache, true);
      assert.equal(again.accessToken, r.accessToken);
      assert.equal(idp.requests.length, before + 1, "served from memory: no request");
    });
  }

  test("a wrong secret is a ServerError with the server's error", async () => {
    const app = new ConfidentialClientApplication({
      auth: { clientId: "secret-post", tokenEndpoint: idp.tokenEndpoint, clientSecret: "wrong" },
    });
    await assert.rejects(app.acquireTokenByClientCredential({ scopes: ["users.read"] }), (e) => {
      assert.ok(e instanceof ServerError && e instanceof AuthError);
      assert.equal(e.errorCode, "invalid_client");
      assert.equal(e.status, 401);
      assert.equal(e.isRetryable, false);
      return true;
    });
  });
});

describe("Entra-like endpoint", () => {
  let fake;
  before(async () => (fake = await startEntraFake()));
  after(() => fake.close());
  const app = (auth = {}, extra = {}) =>
    new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, ...auth },
      ...extra,
    });

  test("request form, headers and result fields", async () => {
    const r = await app().acquireTokenByClientCredential({ scopes: GRAPH, correlationId: "corr-1" });
    const req = fake.requests.at(-1);
    assert.equal(req.url, `/${TENANT}/oauth2/v2.0/token`);
    assert.deepEqual(req.form, {
      grant_type: "client_credentials",
      scope: GRAPH[0],
      client_id: CLIENT_ID,
      client_secret: SECRET,
    });
    assert.equal(req.headers["content-type"], "application/x-www-form-urlencoded;charset=utf-8");
    assert.equal(req.headers.accept, "application/json");
    assert.equal(req.headers["client-request-id"], "corr-1");
    assert.equal(req.headers["x-client-sku"], "entra-edge");
    assert.match(req.headers["x-client-ver"], /^\d+\.\d+\.\d+/);
    assert.equal(r.correlationId, "corr-1");
    assert.equal(r.tenantId, TENANT);
    assert.deepEqual(r.scopes, GRAPH);
    assert.ok(r.extExpiresOn instanceof Date);
    assert.equal(r.refreshOn, null, "1-hour tokens without refresh_in get no refreshOn");
    const lifetime = r.expiresOn.getTime() - Date.now();
    assert.ok(lifetime > 3500_000 && lifetime <= 3599_000, `expiresOn ${lifetime} ms ahead`);
  });

  test("skipCache asks again and caches; tenants and resources never share a token", async () => {
    const a = app();
    const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    const n = fake.requests.length;
    const skipped = await a.acquireTokenByClientCredential({ scopes: GRAPH, skipCache: true });
    assert.equal(skipped.tokenSource, "identityProvider");
    assert.notEqual(skipped.accessToken, first.accessToken);
    assert.equal(fake.requests.length, n + 1);
    assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).accessToken, skipped.accessToken);
    const vault = await a.acquireTokenByClientCredential({ scopes: ["https://vault.azure.net/.default"] });
    assert.equal(vault.tokenSource, "identityProvider");
    assert.equal(JSON.parse(Buffer.from(vault.accessToken.split(".")[1], "base64url")).aud, "https://vault.azure.net");
  });

  test("concurrent cold calls share one token request", async () => {
    const a = app();
    const n = fake.requests.length;
    const results = await Promise.all(Array.from({ length: 50 }, () => a.acquireTokenByClientCredential({ scopes: GRAPH })));
    assert.equal(fake.requests.length, n + 1);
    assert.equal(new Set(results.map((r) => r.accessToken)).size, 1);
  });

  test("clearCache forgets memory", async () => {
    const a = app();
    await a.acquireTokenByClientCredential({ scopes: GRAPH });
    await a.clearCache();
    assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "identityProvider");
  });

  const cases = [
    ["secret ID pasted instead of the value", { clientSecret: SECRET_ID }, 401, "invalid_client", 7000215, /not its Secret ID/],
    ["wrong secret", { clientSecret: "nope" }, 401, "invalid_client", 7000215, /Secret ID/],
    ["app not in tenant", { clientId: "00000000-0000-0000-0000-00000000dead" }, 400, "unauthorized_client", 700016, /not registered in this tenant/],
    ["unknown tenant", { authority: "TENANT:nope.onmicrosoft.com" }, 400, "invalid_request", 90002, /does not exist/],
  ];
  for (const [name, auth, status, code, aadsts, hint] of cases) {
    test(`Entra error: ${name}`, async () => {
      if (auth.authority) auth.authority = `${fake.url}/${auth.authority.slice(7)}`;
      await assert.rejects(app(auth).acquireTokenByClientCredential({ scopes: GRAPH, correlationId: "c-err" }), (e) => {
        assert.ok(e instanceof ServerError, e.stack);
        assert.equal(e.name, "ServerError");
        assert.equal(e.errorCode, code);
        assert.equal(e.error, code);
        assert.equal(e.status, status);
        assert.deepEqual(e.errorCodes, [aadsts]);
        assert.match(e.errorDescription, new RegExp(`^AADSTS${aadsts}: `));
        assert.match(e.traceId, /^[0-9a-f-]{36}$/);
        assert.match(e.timestamp, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$/);
        assert.equal(e.errorUri, `https://login.microsoftonline.com/error?code=${aadsts}`);
        assert.equal(e.correlationId, "c-err");
        assert.equal(e.isRetryable, false);
        assert.equal(e.retryAfterMs, null);
        assert.match(e.hint, hint);
        assert.match(e.message, new RegExp(`HTTP ${status}: ${code}: AADSTS${aadsts}`));
        return true;
      });
    });
  }

  test("an expired secret says so", async () => {
    const expired = await startEntraFake({ apps: [{ tenant: TENANT, clientId: CLIENT_ID, secret: SECRET, secretExpired: true }] });
    try {
      const a = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${expired.url}/${TENANT}`, clientSecret: SECRET } });
      await assert.rejects(a.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
        assert.deepEqual(e.errorCodes, [7000222]);
        assert.match(e.hint, /expired/);
        return true;
      });
    } finally {
      await expired.close();
    }
  });

  test("validation rejects before any network call, naming the field", async () => {
    const n = fake.requests.length;
    const bad = [
      [{ auth: { authority: `${fake.url}/${TENANT}`, clientSecret: SECRET } }, "invalid_client_id", /auth\.clientId is required/],
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}` } }, "invalid_credential", /exactly one of auth\.clientSecret/],
      [{ auth: { clientId: CLIENT_ID, authority: "https://login.microsoftonline.com/common", clientSecret: SECRET } }, "tenant_required", /AADSTS9001023/],
      [{ auth: { clientId: CLIENT_ID, authority: "http://login.example.com/t", clientSecret: SECRET } }, "insecure_url", /must use https/],
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET }, system: { fetch: "no" } }, "invalid_config", /system\.fetch must be a function/],
      [{ auth: { clientId: 7, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET } }, "invalid_config", /auth\.clientId must be a string/],
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, clientSecretx: 1 } }, "invalid_config", /unknown option auth\.clientSecretx/],
      [undefined, "invalid_config", /config must be an object/],
      // Read from the JS values themselves: functions, instances and BigInts are named, never quoted.
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: () => SECRET } }, "invalid_config", /^auth\.clientSecret must be a string$/],
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET }, system: new Map() }, "invalid_config", /^system must be a plain object \(\{ \.\.\. \}\), not a class instance$/],
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET }, system: { timeoutMs: 5n } }, "invalid_config", /^system\.timeoutMs is a BigInt/],
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET }, system: { timeoutMs: 1.5 } }, "invalid_config", /^system\.timeoutMs must be a whole number from 1 to 600000$/],
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, clientCapabilities: ["cp1", 2] } }, "invalid_config", /^auth\.clientCapabilities must be an array of strings$/],
      // A misspelled option is refused even when its value is undefined (an unset environment variable).
      [{ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, clientSecert: undefined } }, "invalid_config", /unknown option auth\.clientSecert/],
    ];
    for (const [config, code, message] of bad) {
      assert.throws(() => new ConfidentialClientApplication(config), (e) => {
        assert.ok(e instanceof ClientConfigurationError, `${code}: ${e.stack}`);
        assert.equal(e.errorCode, code);
        assert.match(e.message, message);
        return true;
      });
    }
    const a = app();
    for (const [request, code, message] of [
      [{ scopes: [] }, "empty_scopes", /scopes must not be empty/],
      [{}, "empty_scopes", /scopes must not be empty/],
      [{ scopes: ["User.Read"] }, "invalid_scope", /exactly one "<resource>\/\.default"/],
      [{ scopes: [...GRAPH, "https://vault.azure.net/.default"] }, "invalid_scope", /exactly one/],
      [{ scopes: GRAPH, claims: "{" }, "invalid_request", /claims must be a JSON object/],
      [{ scopes: GRAPH, forceRefresh: true }, "invalid_request", /unknown option forceRefresh/],
      [{ scopes: GRAPH[0] }, "invalid_request", /^scopes must be an array of strings$/],
      [{ scopes: GRAPH, skipCache: "yes" }, "invalid_request", /^skipCache must be a boolean$/],
      [{ scopes: GRAPH, correlationId: 10n }, "invalid_request", /options must be plain data: no cycles or BigInt values/],
      [{ scopes: GRAPH, waitUntil: "later" }, "invalid_request", /^waitUntil must be a function$/],
      [{ scopes: GRAPH, forceRefresh: undefined }, "invalid_request", /unknown option forceRefresh/],
    ]) {
      await assert.rejects(a.acquireTokenByClientCredential(request), (e) => {
        assert.ok(e instanceof ClientConfigurationError);
        assert.equal(e.errorCode, code);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.equal(fake.requests.length, n, "no request was sent");
  });

  test("a body over 64 KiB is a response_too_large NetworkError, with or without content-length", async () => {
    const big = "x".repeat(1024 * 1024);
    for (const headers of [{ "content-length": String(big.length) }, {}]) {
      fake.respondWith(() => ({ status: 200, headers: { "content-type": "application/json", ...headers }, body: big }));
      try {
        await assert.rejects(app().acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
          assert.ok(e instanceof NetworkError, e.stack);
          assert.equal(e.errorCode, "response_too_large");
          assert.match(e.message, /more than 65536 bytes; stopped reading \(HTTP 200\)/);
          return true;
        });
      } finally {
        fake.respondWith(undefined);
      }
    }
  });

  test("an unreachable endpoint is a NetworkError with the cause", async () => {
    const closed = await startEntraFake();
    const url = closed.url;
    await closed.close();
    const a = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${url}/${TENANT}`, clientSecret: SECRET },
      system: { maxRetries: 0 }, // retries: faults.test.mjs
    });
    await assert.rejects(a.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => {
      assert.ok(e instanceof NetworkError);
      assert.equal(e.errorCode, "fetch_failed");
      // The cause as the runtime words it: undici's code in Node and Bun, the OS error in Deno.
      assert.match(e.message, /(ECONNREFUSED|Connection refused).*; not retried: system.maxRetries is 0$/);
      assert.ok(e.cause instanceof Error);
      return true;
    });
  });
});

test("helpers", () => {
  assert.equal(scopeForResource("https://database.windows.net/"), "https://database.windows.net//.default");
  assert.equal(scopeForResource("https://graph.microsoft.com"), "https://graph.microsoft.com/.default");
  assert.equal(
    adminConsentUrl({ tenant: "contoso.onmicrosoft.com", clientId: "abc", redirectUri: "https://app.example/done" }),
    "https://login.microsoftonline.com/contoso.onmicrosoft.com/v2.0/adminconsent?client_id=abc&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default&redirect_uri=https%3A%2F%2Fapp.example%2Fdone",
  );
  assert.throws(() => adminConsentUrl({ clientId: "abc" }), ClientConfigurationError);
  assert.throws(() => scopeForResource(""), ClientConfigurationError);
});
