// Many tenants, one app: per-request tenants and authorities against the Entra fake, the
// allowed-tenants rules, the memory bound, regional endpoints, and msal-node configurations
// that construct unchanged; in Node and in a Worker in workerd.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { decodeJwt } from "jose";
import { AzureCloudInstance, ClientConfigurationError, ConfidentialClientApplication, LogLevel } from "entra-edge";
import { makeCertificate } from "./support/cert.mjs";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { FakeKv } from "./support/fake-kv.mjs";
import { until } from "./support/until.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
const CUSTOMERS = ["1f2e3d4c-0000-4000-8000-00000000c001", "fabrikam.example", "woodgrove.example"];
let fake;
let other;
before(async () => {
  const apps = [TENANT, ...CUSTOMERS].map((tenant) => ({ tenant, clientId: CLIENT_ID, secret: SECRET }));
  // `other` stands for another host: a request authority naming it must never reach it.
  [fake, other] = await Promise.all([startEntraFake({ apps }), startEntraFake({ apps })]);
});
after(() => Promise.all([fake.close(), other.close()]));

const app = (auth = {}, rest = {}) =>
  new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, ...auth }, ...rest });

describe("one app, many tenants", () => {
  test("3 tenants x 50 concurrent cold calls: 3 token requests, each token for its request's tenant", async () => {
    const a = app({ allowedTenants: ["*"] });
    const n = fake.requests.length;
    const calls = CUSTOMERS.flatMap((tenantId) => Array.from({ length: 50 }, () => a.acquireTokenByClientCredential({ scopes: GRAPH, tenantId }).then((r) => [tenantId, r])));
    const results = await Promise.all(calls);
    assert.equal(fake.requests.length - n, 3, "one token request per tenant");
    assert.deepEqual(fake.requests.slice(n).map((r) => r.tenant).sort(), [...CUSTOMERS].sort());
    for (const [tenantId, r] of results) {
      assert.equal(decodeJwt(r.accessToken).tid, tenantId.toLowerCase(), "the token is for the request's tenant");
      assert.equal(r.tenantId, tenantId, "the result names the request's tenant");
    }
    // Warm: memory answers each tenant with its own token.
    for (const tenantId of CUSTOMERS) {
      const warm = await a.acquireTokenByClientCredential({ scopes: GRAPH, tenantId });
      assert.equal(warm.tokenSource, "memory");
      assert.equal(decodeJwt(warm.accessToken).tid, tenantId.toLowerCase());
    }
    const home = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(home.tenantId, TENANT);
    assert.equal(decodeJwt(home.accessToken).tid, TENANT);
  });

  test("msal-node's per-request authority names the tenant; a second app over the store gets each tenant's own entry", async () => {
    const kv = new FakeKv();
    const first = app({ allowedTenants: CUSTOMERS }, { cache: { store: kv } });
    const tokens = {};
    for (const tenant of CUSTOMERS) tokens[tenant] = (await first.acquireTokenByClientCredential({ scopes: GRAPH, authority: `${fake.url}/${tenant}` })).accessToken;
    await kv.settled();
    assert.equal(new Set([...kv.map.keys()]).size, 3, "one entry per tenant");
    const second = app({ allowedTenants: CUSTOMERS }, { cache: { store: kv } });
    const n = fake.requests.length;
    for (const tenant of CUSTOMERS) {
      const r = await second.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: tenant });
      assert.equal(r.tokenSource, "store");
      assert.equal(r.accessToken, tokens[tenant]);
    }
    assert.equal(fake.requests.length, n, "no token request");
  });

  test("refusals before any network call: tenant_not_allowed, authority_not_allowed (the other host gets nothing), tenant_required, tenant_not_supported", async () => {
    const n = fake.requests.length;
    const strict = app({ allowedTenants: ["fabrikam.example"] });
    const cases = [
      [strict, { tenantId: "woodgrove.example" }, "tenant_not_allowed", /auth\.allowedTenants/],
      [strict, { authority: `${other.url}/fabrikam.example` }, "authority_not_allowed", /only sent to the configured identity provider/],
      [strict, { tenantId: "organizations" }, "tenant_required", /AADSTS9001023/],
      [strict, { authority: `${fake.url}/common` }, "tenant_required", /AADSTS9001023/],
      [strict, { azureRegion: "West US" }, "invalid_region", /lowercase DNS label/],
      [
        new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, tokenEndpoint: `${fake.url}/${TENANT}/oauth2/v2.0/token`, clientSecret: SECRET } }),
        { tenantId: "fabrikam.example" },
        "tenant_not_supported",
        /auth\.tokenEndpoint/,
      ],
    ];
    for (const [a, extra, code, message] of cases) {
      await assert.rejects(a.acquireTokenByClientCredential({ scopes: GRAPH, ...extra }), (e) => {
        assert.ok(e instanceof ClientConfigurationError, e.stack);
        assert.equal(e.errorCode, code);
        assert.match(e.message, message);
        return true;
      });
    }
    assert.equal(fake.requests.length, n, "no token request");
    assert.deepEqual(other.requests, [], "the other host received nothing");
    assert.equal((await strict.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: "FABRIKAM.example" })).tenantId, "FABRIKAM.example", "tenants compare case-insensitively");
  });

  test("cache.maxEntries: 2 across tenants evicts the least recently used, and says once that it evicts valid tokens", async () => {
    const lines = [];
    const a = app({ allowedTenants: ["*"] }, { cache: { maxEntries: 2 }, system: { logger: (level, message) => lines.push([level, message]) } });
    const get = async (tenantId) => (await a.acquireTokenByClientCredential({ scopes: GRAPH, tenantId })).tokenSource;
    const warnings = () => lines.filter(([, m]) => /cache\.maxEntries/.test(m));
    const [t1, t2, t3] = CUSTOMERS;
    assert.deepEqual([await get(t1), await get(t2), await get(t1)], ["identityProvider", "identityProvider", "memory"]);
    assert.deepEqual(warnings(), [], "nothing evicted yet");
    assert.equal(await get(t3), "identityProvider");
    assert.deepEqual(warnings(), [["warning", "cache.maxEntries (2) evicted a token that was still valid: this app holds more tokens (tenants x scopes) than its memory bound, so requests for evicted tokens go to the store (none configured: to the identity provider) again. Raise cache.maxEntries (a cached token takes its length plus about 2 KB) or set cache.store; stats().memoryEvictions counts evictions"]]);
    assert.deepEqual([await get(t1), await get(t3), await get(t2)], ["memory", "memory", "identityProvider"], "t2 was evicted");
    assert.equal(warnings().length, 1, "said once per app, however many evictions follow");
    assert.ok(a.stats().memoryEvictions >= 2);
  });

  test("evicting tokens that have expired is not worth a warning", async () => {
    const lines = [];
    let now = Date.now();
    const a = app({ allowedTenants: ["*"] }, { cache: { maxEntries: 2 }, system: { now: () => now, logger: (level, message) => lines.push([level, message]) } });
    const [t1, t2, t3] = CUSTOMERS;
    for (const tenantId of [t1, t2]) await a.acquireTokenByClientCredential({ scopes: GRAPH, tenantId });
    now += 2 * 3600_000; // both expired
    assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: t3 })).tokenSource, "identityProvider");
    assert.ok(a.stats().memoryEvictions >= 1, "an expired token was evicted");
    assert.deepEqual(lines.filter(([, m]) => /cache\.maxEntries/.test(m)), []);
  });

  test("a request reaches only its own tenant's memory entry: a mutated request object, a spelling crafted from another's", async () => {
    const a = app({ allowedTenants: ["*"] });
    const [t1, t2] = CUSTOMERS;
    const request = { scopes: GRAPH, tenantId: t1 };
    const first = await a.acquireTokenByClientCredential(request);
    request.tenantId = t2;
    const second = await a.acquireTokenByClientCredential(request);
    assert.equal(second.tenantId, t2);
    assert.equal(decodeJwt(second.accessToken).tid, t2, "the tenant the object names now, not the one it named");
    request.tenantId = t1;
    assert.equal((await a.acquireTokenByClientCredential(request)).accessToken, first.accessToken);
    // What a key of the scope and tenant joined by separators would have been: refused by the
    // core (control characters), never served from memory.
    for (const crafted of [{ scopes: [`${GRAPH[0]}\u0001${t1}\u0001\u0001`] }, { scopes: GRAPH, tenantId: `${t1}\u0001` }, { scopes: [JSON.stringify([GRAPH, t1, null, null])] }]) {
      await assert.rejects(a.acquireTokenByClientCredential(crafted), (e) => e instanceof ClientConfigurationError, JSON.stringify(crafted));
    }
  });
});

describe("regional token endpoints", () => {
  let cert;
  before(async () => (cert = await makeCertificate("rsa")));

  /** An app whose token requests are recorded and answered by a stub fetch. */
  function recorded(auth = {}) {
    const sent = [];
    const fetch = async (url, init) => {
      sent.push({ url, form: Object.fromEntries(new URLSearchParams(init.body)) });
      return Response.json({ token_type: "Bearer", expires_in: 3599, access_token: `token-${sent.length}` });
    };
    const a = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: "https://login.microsoftonline.com/contoso.example", clientSecret: SECRET, ...auth },
      system: { fetch },
    });
    return { a, sent };
  }

  test("azureRegion sends to <region>.login.microsoft.com; per request it overrides; tokens are cached by tenant, not region", async () => {
    const { a, sent } = recorded({ azureRegion: "westus2", allowedTenants: ["*"] });
    await a.acquireTokenByClientCredential({ scopes: GRAPH });
    await a.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: "fabrikam.example", azureRegion: "eastus" });
    assert.deepEqual(sent.map((s) => s.url), [
      "https://westus2.login.microsoft.com/contoso.example/oauth2/v2.0/token",
      "https://eastus.login.microsoft.com/fabrikam.example/oauth2/v2.0/token",
    ]);
    const again = await a.acquireTokenByClientCredential({ scopes: GRAPH, azureRegion: "centralus" });
    assert.equal(again.tokenSource, "memory", "another region, the same tenant's cached token");
    assert.equal(sent.length, 2);
  });

  test("a certificate assertion's aud is the regional token URL; other clouds keep their host", async () => {
    const { a, sent } = recorded({ clientSecret: undefined, clientCertificate: { privateKey: cert.privateKey, x5c: cert.certificate }, azureRegion: "westus2" });
    await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(decodeJwt(sent[0].form.client_assertion).aud, "https://westus2.login.microsoft.com/contoso.example/oauth2/v2.0/token");
    const us = recorded({ authority: "https://login.microsoftonline.us/contoso.example", azureRegion: "usgovvirginia" });
    await us.a.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.us/.default"] });
    assert.equal(us.sent[0].url, "https://usgovvirginia.login.microsoftonline.us/contoso.example/oauth2/v2.0/token");
  });

  test("TryAutoDetect reads REGION_NAME, and nothing else: without it the global endpoint", async () => {
    const saved = process.env.REGION_NAME;
    try {
      process.env.REGION_NAME = "West US 2"; // as Azure App Service sets it
      const detected = recorded({ azureRegion: "TryAutoDetect" });
      await detected.a.acquireTokenByClientCredential({ scopes: GRAPH });
      assert.equal(detected.sent[0].url, "https://westus2.login.microsoft.com/contoso.example/oauth2/v2.0/token");
      delete process.env.REGION_NAME;
      const global = recorded({ azureRegion: "TryAutoDetect" });
      await global.a.acquireTokenByClientCredential({ scopes: GRAPH });
      assert.deepEqual(global.sent.map((s) => s.url), ["https://login.microsoftonline.com/contoso.example/oauth2/v2.0/token"], "no probe, one request");
      assert.throws(() => recorded({ azureRegion: "westus2!" }), (e) => e.errorCode === "invalid_region");
    } finally {
      if (saved === undefined) delete process.env.REGION_NAME;
      else process.env.REGION_NAME = saved;
    }
  });
});

describe("msal-node configurations construct unchanged", () => {
  test("loggerOptions with msal's numeric LogLevel, knownAuthorities, cloud discovery: construct, log once, acquire", async () => {
    const lines = [];
    const a = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, knownAuthorities: [new URL(fake.url).host], cloudDiscoveryMetadata: "{}" },
      system: { loggerOptions: { loggerCallback: (level, message, containsPii) => lines.push([level, message, containsPii]), piiLoggingEnabled: false, logLevel: LogLevel.Info } },
    });
    // Each note is said once, at construction; neither acquisition repeats it.
    const notes = () => [/knownAuthorities changes nothing/, /cloudDiscoveryMetadata changes nothing/].map((p) => lines.filter(([, m]) => p.test(m)).map(([l]) => l));
    assert.deepEqual(notes(), [[LogLevel.Info], [LogLevel.Info]], JSON.stringify(lines));
    const r = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(r.tokenSource, "identityProvider");
    assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");
    assert.deepEqual(notes(), [[LogLevel.Info], [LogLevel.Info]], JSON.stringify(lines));
    assert.ok(lines.every(([l, , pii]) => typeof l === "number" && l <= LogLevel.Info && pii === false), "numeric levels, none above Info");
    assert.ok(!lines.some(([, m]) => /memory cache/.test(m)), "verbose lines are not delivered at Info");
  });

  test("authorityMetadata's token_endpoint and azureCloudOptions build where requests go", async () => {
    const metadata = JSON.stringify({ token_endpoint: `${fake.url}/${TENANT}/oauth2/v2.0/token`, issuer: `https://login.microsoftonline.com/${TENANT}/v2.0` });
    const viaMetadata = new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `https://login.microsoftonline.com/${TENANT}`, authorityMetadata: metadata, clientSecret: SECRET } });
    assert.equal((await viaMetadata.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "identityProvider");
    assert.equal(fake.requests.at(-1).tenant, TENANT);

    const sent = [];
    const cloud = new ConfidentialClientApplication({
      auth: { clientId: CLIENT_ID, authority: "https://login.microsoftonline.com/ignored.example", azureCloudOptions: { azureCloudInstance: AzureCloudInstance.AzureUsGovernment, tenant: "contoso.us" }, clientSecret: SECRET },
      system: { fetch: async (url) => (sent.push(url), Response.json({ token_type: "Bearer", expires_in: 3599, access_token: "t" })) },
    });
    await cloud.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.us/.default"] });
    assert.deepEqual(sent, ["https://login.microsoftonline.us/contoso.us/oauth2/v2.0/token"]);
  });

  test("a networkClient (msal's INetworkModule) carries the token request", async () => {
    const posts = [];
    const networkClient = {
      sendGetRequestAsync: async () => ({ headers: {}, body: {}, status: 404 }),
      async sendPostRequestAsync(url, options) {
        posts.push({ url, options });
        const res = await fetch(url, { method: "POST", headers: options.headers, body: options.body });
        return { headers: Object.fromEntries(res.headers), body: await res.json(), status: res.status };
      },
    };
    const a = app({}, { system: { networkClient } });
    const r = await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(r.tokenSource, "identityProvider");
    assert.equal(posts.length, 1);
    assert.equal(posts[0].url, `${fake.url}/${TENANT}/oauth2/v2.0/token`);
    assert.match(posts[0].options.body, /grant_type=client_credentials/);
    // Errors through it are the usual ServerErrors.
    const bad = app({ clientSecret: "wrong" }, { system: { networkClient } });
    await assert.rejects(bad.acquireTokenByClientCredential({ scopes: GRAPH }), (e) => e.errorCodes[0] === 7000215);
  });

  test("what has no meaning here is refused with what to use instead", () => {
    const base = { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET };
    for (const [config, message] of [
      [{ auth: base, cache: { cachePlugin: { beforeCacheAccess() {}, afterCacheAccess() {} } } }, /use cache\.store/],
      [{ auth: base, system: { proxyUrl: "http://proxy:3128" } }, /system\.fetch with a proxy dispatcher/],
      [{ auth: base, system: { protocolMode: "OIDC" } }, /auth\.tokenEndpoint/],
      [{ auth: base, broker: {} }, /app-only tokens/],
    ]) {
      assert.throws(() => new ConfidentialClientApplication(config), (e) => {
        assert.ok(e instanceof ClientConfigurationError);
        assert.equal(e.errorCode, "unsupported_option");
        assert.match(e.message, message);
        return true;
      });
    }
    assert.throws(() => new ConfidentialClientApplication({ auth: base, system: { logger: () => {}, loggerOptions: {} } }), /not both/);
  });
});

test("in workerd: one module-level app serves two tenants to concurrent requests, over KV", async () => {
  const bundle = await bundleWorker(fileURLToPath(new URL("./workers/tenant-worker.js", import.meta.url)));
  const bindings = { CLIENT_ID, CLIENT_SECRET: SECRET, AUTHORITY: `${fake.url}/${TENANT}`, ALLOWED: CUSTOMERS.slice(0, 2).join(",") };
  const mf = startWorker(bundle, { bindings });
  try {
    const n = fake.requests.length;
    const tenants = CUSTOMERS.slice(0, 2);
    const bodies = await Promise.all(tenants.flatMap((t) => Array.from({ length: 20 }, () => mf.dispatchFetch(`http://worker/token?tenant=${t}`).then((r) => r.json()))));
    assert.equal(fake.requests.length - n, 2, "one token request per tenant");
    for (const b of bodies) assert.equal(b.tid, b.tenantId.toLowerCase(), JSON.stringify(b));
    const refused = await (await mf.dispatchFetch(`http://worker/token?tenant=${CUSTOMERS[2]}`)).json();
    assert.equal(refused.error, "tenant_not_allowed");
    // The entries' writes run after the responses (waitUntil): wait for both tenants' to land.
    const kv = await mf.getKVNamespace("TOKEN_CACHE");
    const entries = async () => (await kv.list()).keys.filter((k) => /^entra-edge:[0-9a-f]{64}$/.test(k.name));
    await until(async () => (await entries()).length === 2, "both tenants' entries reach KV");
  } finally {
    await mf.dispose();
  }
});
