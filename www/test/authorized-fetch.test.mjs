// createAuthorizedFetch against the Graph-like API: bearer attached, claims challenge, plain
// 401, missing consent, responses returned untouched; and the example Worker in workerd.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { fileURLToPath } from "node:url";
import { ClientConfigurationError, ConfidentialClientApplication, ConsentRequiredError } from "entra-edge";
import { startIdp } from "./support/idp.mjs";
import { claimsChallenge, graphError, startGraphFake } from "./support/graph-fake.mjs";
import { closeServer, listen } from "./support/listen.mjs";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
let idp;
let graph;
let fake;
before(async () => {
  idp = await startIdp({ clients: [{ client_id: "daemon", client_secret: "daemon-secret-value", token_endpoint_auth_method: "client_secret_post" }] });
  graph = await startGraphFake({ jwksUri: idp.jwksUri, issuer: idp.issuer, audience: idp.audience });
  fake = await startEntraFake();
});
after(async () => {
  await Promise.all([idp.close(), graph.close(), fake.close()]);
});

const entraApp = (extra = {}, system = {}) => new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET, ...extra }, system });
/** An app on a clock the test moves: a token is "young" (under 5 s) until the clock moves on. */
const onClock = () => {
  const clock = { now: Date.now(), later: () => (clock.now += 10_000) };
  return { clock, app: entraApp({}, { now: () => clock.now }) };
};
const ok = (req) => ({ status: 200, headers: { "content-type": "application/json" }, body: { value: [], auth: req.headers.authorization } });

describe("createAuthorizedFetch", () => {
  test("attaches the bearer token from the cache; the API verifies it", async () => {
    const app = new ConfidentialClientApplication({ auth: { clientId: "daemon", tokenEndpoint: idp.tokenEndpoint, clientSecret: "daemon-secret-value" } });
    const graphFetch = app.createAuthorizedFetch({ scopes: ["User.Read.All"], allowedOrigins: [graph.url] });
    const n = idp.requests.length;
    const first = await graphFetch(`${graph.url}/v1.0/users?$top=2`);
    assert.equal(first.status, 200);
    assert.equal((await first.json()).value.length, 2);
    const second = await graphFetch(new URL(`${graph.url}/v1.0/users`), { headers: { "x-extra": "1" } });
    assert.equal(second.status, 200);
    assert.equal(idp.requests.length - n, 1, "the second call reused the cached token");
    assert.match(graph.requests.at(-1).headers.authorization, /^Bearer ey/);
    assert.equal(graph.requests.at(-1).headers["x-extra"], "1");
  });

  test("a 401 claims challenge: one re-acquisition with the decoded claims (merged with cp1), then success", async () => {
    const app = entraApp({ clientCapabilities: ["cp1"] });
    const graphFetch = app.createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [graph.url] });
    const challenge = { access_token: { nbf: { essential: true, value: "1661241267" } } };
    let calls = 0;
    graph.respondWith((req) => (calls++ === 0 ? claimsChallenge(req, challenge) : ok(req)));
    const n = fake.requests.length;
    try {
      const res = await graphFetch(`${graph.url}/v1.0/users`);
      assert.equal(res.status, 200);
      assert.equal(calls, 2);
      const tokenRequests = fake.requests.slice(n);
      assert.equal(tokenRequests.length, 2);
      assert.deepEqual(JSON.parse(tokenRequests[0].form.claims), { access_token: { xms_cc: { values: ["cp1"] } } });
      assert.deepEqual(JSON.parse(tokenRequests[1].form.claims), { access_token: { ...challenge.access_token, xms_cc: { values: ["cp1"] } } });
      const body = await res.json();
      assert.notEqual(body.auth, graph.requests.at(-2).headers.authorization, "the retry carried the new token");
    } finally {
      graph.respondWith(undefined);
    }
  });

  test("a plain 401: one retry with a fresh token", async () => {
    const { clock, app } = onClock();
    const graphFetch = app.createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [graph.url] });
    await app.acquireTokenByClientCredential({ scopes: GRAPH });
    clock.later();
    let calls = 0;
    graph.respondWith((req) => (calls++ === 0 ? graphError(req, 401, "InvalidAuthenticationToken", "Access token has expired or is not yet valid.") : ok(req)));
    const n = fake.requests.length;
    try {
      assert.equal((await graphFetch(`${graph.url}/v1.0/users`)).status, 200);
      assert.equal(fake.requests.length - n, 1);
      assert.equal(calls, 2);
      // A 401 again is returned, not retried forever.
      clock.later();
      calls = 0;
      graph.respondWith((req) => (calls++, graphError(req, 401, "InvalidAuthenticationToken", "nope")));
      assert.equal((await graphFetch(`${graph.url}/v1.0/users`)).status, 401);
      assert.equal(calls, 2);
    } finally {
      graph.respondWith(undefined);
    }
  });

  test("issue 20.7: 50 calls answered with a plain 401 make one token request, not 51", async () => {
    const { clock, app } = onClock();
    const graphFetch = app.createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [graph.url] });
    await app.acquireTokenByClientCredential({ scopes: GRAPH });
    clock.later();
    graph.respondWith((req) => graphError(req, 401, "InvalidAuthenticationToken", "this API refuses every token"));
    const n = fake.requests.length;
    const m = graph.requests.length;
    try {
      for (let i = 0; i < 50; i++) assert.equal((await graphFetch(`${graph.url}/v1.0/users`)).status, 401);
      assert.equal(fake.requests.length - n, 1, "the token acquired for the first 401 is young for the 49 others");
      assert.equal(graph.requests.length - m, 51, "each call sent once, the first twice");
    } finally {
      graph.respondWith(undefined);
    }
  });

  test("Graph's 403 Authorization_RequestDenied is ConsentRequiredError with the admin-consent URL", async () => {
    const graphFetch = entraApp().createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [graph.url] });
    graph.respondWith((req) => graphError(req, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."));
    try {
      await assert.rejects(graphFetch(`${graph.url}/v1.0/users`), (e) => {
        assert.ok(e instanceof ConsentRequiredError);
        assert.equal(e.errorCode, "consent_required");
        assert.equal(e.status, 403);
        assert.equal(e.adminConsentUrl, `${fake.url}/${TENANT}/v2.0/adminconsent?client_id=${CLIENT_ID}&scope=https%3A%2F%2Fgraph.microsoft.com%2F.default`);
        assert.match(e.message, /admin consent/);
        return true;
      });
    } finally {
      graph.respondWith(undefined);
    }
  });

  test("other answers come back untouched: 429 with Retry-After, other 403s, stream bodies on 401", async () => {
    const graphFetch = entraApp().createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [graph.url] });
    try {
      graph.respondWith((req) => graphError(req, 429, "TooManyRequests", "Too many requests", { "retry-after": "7" }));
      let n = graph.requests.length;
      const throttled = await graphFetch(`${graph.url}/v1.0/users`);
      assert.equal(throttled.status, 429);
      assert.equal(throttled.headers.get("retry-after"), "7");
      assert.equal((await throttled.json()).error.code, "TooManyRequests");
      assert.equal(graph.requests.length - n, 1);

      graph.respondWith((req) => graphError(req, 403, "Forbidden", "Not this one"));
      assert.equal((await graphFetch(`${graph.url}/v1.0/users`)).status, 403);

      graph.respondWith((req) => graphError(req, 401, "InvalidAuthenticationToken", "expired"));
      n = graph.requests.length;
      const body = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("{}")), c.close()) });
      const res = await graphFetch(`${graph.url}/v1.0/users`, { method: "POST", body, duplex: "half" });
      assert.equal(res.status, 401);
      assert.equal(graph.requests.length - n, 1, "a stream body is sent once");
    } finally {
      graph.respondWith(undefined);
    }
  });
});

describe("createAuthorizedFetch sends the bearer only where it belongs (issue 13)", () => {
  /** A second local listener standing for another host: records what reaches it. */
  async function otherHost(handler = (req, res) => res.end("{}")) {
    const seen = [];
    const server = http.createServer((req, res) => {
      seen.push({ url: req.url, authorization: req.headers.authorization });
      handler(req, res);
    });
    return { url: await listen(server), seen, close: () => closeServer(server) };
  }

  test("a URL on another origin than the scope's resource is refused before any token request", async () => {
    const other = await otherHost();
    try {
      const graphFetch = entraApp().createAuthorizedFetch({ scopes: GRAPH });
      const n = fake.requests.length;
      await assert.rejects(graphFetch(`${other.url}/v1.0/users`), (e) => {
        assert.ok(e instanceof ClientConfigurationError);
        assert.equal(e.errorCode, "origin_not_allowed");
        assert.match(e.message, /resource is https:\/\/graph\.microsoft\.com\. No token was sent/);
        assert.match(e.message, /allowedOrigins/);
        return true;
      });
      assert.equal(fake.requests.length, n, "no token request");
      assert.deepEqual(other.seen, [], "nothing reached the other host");
      assert.throws(() => entraApp().createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [`${other.url}/v1.0`] }), /must be an array of origins/);
      assert.throws(() => entraApp().createAuthorizedFetch({ scopes: GRAPH, allowedOrigin: [other.url] }), /unknown option createAuthorizedFetch\.allowedOrigin/);
    } finally {
      await other.close();
    }
  });

  test("issue 20.5: a resource that is not an https URL sends the bearer only to allowedOrigins; Graph's app id means Graph", async () => {
    const other = await otherHost();
    try {
      const n = fake.requests.length;
      for (const scopes of [["api://my-api/.default"], ["00000003-0000-0000-c000-000000000000/.default"]]) {
        const refused = entraApp().createAuthorizedFetch({ scopes });
        await assert.rejects(refused(`${other.url}/v1.0/users`), (e) => e instanceof ClientConfigurationError && e.errorCode === "origin_not_allowed");
      }
      const apiFetch = entraApp().createAuthorizedFetch({ scopes: ["api://my-api/.default"] });
      await assert.rejects(apiFetch(`${other.url}/x`), /"api:\/\/my-api" is not an https URL, so where the token may go is only what allowedOrigins lists/);
      // allowedOrigins given: it applies, whatever the resource.
      const listed = entraApp().createAuthorizedFetch({ scopes: ["api://my-api/.default"], allowedOrigins: [graph.url] });
      await assert.rejects(listed(`${other.url}/x`), (e) => e.errorCode === "origin_not_allowed");
      assert.equal(fake.requests.length, n, "no token request");
      assert.deepEqual(other.seen, [], "nothing reached the other host");
    } finally {
      await other.close();
    }
  });

  test("a redirect to another origin is followed without the bearer, even with a fetch that would forward it", async () => {
    const other = await otherHost();
    // A fetch that follows redirects itself and keeps every header (as old node-fetch did).
    const naiveFetch = async (request) => {
      let res = await fetch(request, { redirect: "manual" });
      for (let url = request.url; request.redirect !== "manual" && res.status >= 300 && res.status < 400; ) {
        url = new URL(res.headers.get("location"), url);
        res = await fetch(url, { headers: request.headers, redirect: "manual" });
      }
      return res;
    };
    const graphFetch = entraApp().createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [graph.url], fetch: naiveFetch });
    let hop = 0;
    graph.respondWith(() => (hop++ === 0 ? { status: 302, headers: { location: "/v1.0/moved" }, body: "" } : { status: 307, headers: { location: `${other.url}/elsewhere` }, body: "" }));
    try {
      const res = await graphFetch(`${graph.url}/v1.0/users`);
      assert.equal(res.status, 200);
      assert.match(graph.requests.at(-1).headers.authorization ?? "", /^Bearer /, "the same-origin hop carried it");
      assert.equal(graph.requests.at(-1).url, "/v1.0/moved");
      assert.deepEqual(other.seen, [{ url: "/elsewhere", authorization: undefined }], "the other origin got no bearer");
      // With redirect: "manual" the caller gets the redirect itself.
      hop = 1;
      const manual = await graphFetch(`${graph.url}/v1.0/users`, { redirect: "manual" });
      assert.equal(manual.status, 307);
      assert.equal(other.seen.length, 1);
    } finally {
      graph.respondWith(undefined);
      await other.close();
    }
  });

  test("a Request with a body, and a string body, are retried on a 401 with the body intact; a stream body is sent once", async () => {
    const { clock, app } = onClock();
    const graphFetch = app.createAuthorizedFetch({ scopes: GRAPH, allowedOrigins: [graph.url] });
    await app.acquireTokenByClientCredential({ scopes: GRAPH });
    const bodies = [];
    let calls = 0;
    graph.respondWith((req) => {
      bodies.push(req.body);
      return calls++ % 2 === 0 ? graphError(req, 401, "InvalidAuthenticationToken", "expired") : ok(req);
    });
    try {
      const asRequest = new Request(`${graph.url}/v1.0/users`, { method: "POST", body: JSON.stringify({ a: 1 }), headers: { "content-type": "application/json" } });
      clock.later();
      assert.equal((await graphFetch(asRequest)).status, 200);
      clock.later();
      assert.equal((await graphFetch(`${graph.url}/v1.0/users`, { method: "POST", body: "plain text" })).status, 200);
      clock.later();
      assert.deepEqual(bodies, ['{"a":1}', '{"a":1}', "plain text", "plain text"]);
      const stream = new ReadableStream({ start: (c) => (c.enqueue(new TextEncoder().encode("streamed")), c.close()) });
      calls = 0;
      const once = await graphFetch(`${graph.url}/v1.0/users`, { method: "POST", body: stream, duplex: "half" });
      assert.equal(once.status, 401, "a stream cannot be sent twice: the 401 comes back");
      assert.equal(bodies.at(-1), "streamed");
      assert.equal(bodies.length, 5);
    } finally {
      graph.respondWith(undefined);
    }
  });
});

test("the example Worker in workerd: users listed, then the consent page when consent is missing", async () => {
  const bundle = await bundleWorker(fileURLToPath(new URL("../examples/worker.js", import.meta.url)));
  const mf = startWorker(bundle, { bindings: { CLIENT_ID, TENANT_ID: TENANT, CLIENT_SECRET: SECRET, AUTHORITY_HOST: fake.url, GRAPH_BASE: graph.url } });
  try {
    graph.respondWith((req) => ({ status: 200, headers: { "content-type": "application/json" }, body: { value: [{ displayName: "Adele Vance" }] } }));
    const listed = await mf.dispatchFetch("http://worker/users");
    assert.equal(listed.status, 200);
    assert.deepEqual((await listed.json()).users, [{ displayName: "Adele Vance" }]);

    graph.respondWith((req) => graphError(req, 403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation."));
    const denied = await mf.dispatchFetch("http://worker/users");
    assert.equal(denied.status, 403);
    assert.match(denied.headers.get("content-type"), /text\/html/);
    const html = await denied.text();
    assert.match(html, /This app needs admin consent/);
    assert.ok(html.includes(`${fake.url}/${TENANT}/v2.0/adminconsent?client_id=${CLIENT_ID}`), html);
  } finally {
    graph.respondWith(undefined);
    await mf.dispose();
  }
});

test("the Node daemon example polls through the file store; a second daemon starts from the store", async () => {
  const { execFile } = await import("node:child_process");
  const { mkdtemp } = await import("node:fs/promises");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const dir = await mkdtemp(join(tmpdir(), "entra-edge-daemon-"));
  const run = () =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, [fileURLToPath(new URL("../examples/daemon.mjs", import.meta.url))], {
        env: { ...process.env, CLIENT_ID: "daemon", CLIENT_SECRET: "daemon-secret-value", TOKEN_ENDPOINT: idp.tokenEndpoint, GRAPH_BASE: graph.url, SCOPE: "User.Read.All", POLLS: "2", POLL_SECONDS: "0", TOKEN_DIR: dir },
      }, (err, stdout, stderr) => (err ? reject(new Error(stderr)) : resolve(stdout))),
    );
  const first = await run();
  assert.match(first, /poll 1: token from identityProvider; users: Adele Vance, Alex Wilber, Megan Bowen/);
  assert.match(first, /poll 2: token from memory/);
  assert.match(await run(), /poll 1: token from store/);
});
