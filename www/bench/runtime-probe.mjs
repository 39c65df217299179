// The per-runtime benchmark, run inside each runtime (Node, Deno, Bun, the Edge runtime) by
// bench/runtimes.mjs: import + first client, the memory hit, and the cold acquisition next to a
// raw fetch of the same request and to oauth4webapi's clientCredentialsGrantRequest +
// processClientCredentialsResponse (no cache), interleaved so drift hits all three alike.
// Times in µs, from performance.now(); the network figures move with the machine's load, the
// stub-fetch ones much less.

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

export async function benchRuntime({ tokenEndpoint, clientId, clientSecret, scope }) {
  let t = performance.now();
  const { ConfidentialClientApplication } = await import("entra-edge");
  const app = new ConfidentialClientApplication({ auth: { clientId, tokenEndpoint, clientSecret } });
  const importAndClient = (performance.now() - t) * 1000;

  t = performance.now();
  const oauth = await import("oauth4webapi");
  const as = { issuer: new URL(tokenEndpoint).origin, token_endpoint: tokenEndpoint };
  const client = { client_id: clientId };
  const auth = oauth.ClientSecretPost(clientSecret);
  const oauthImport = (performance.now() - t) * 1000;

  const request = { scopes: [scope] };
  await app.acquireTokenByClientCredential(request);
  // Memory hits: batches of 1000 calls, so the clock's resolution does not matter.
  const hits = [];
  for (let batch = 0; batch < 60; batch++) {
    t = performance.now();
    for (let i = 0; i < 1000; i++) await app.acquireTokenByClientCredential(request);
    if (batch >= 10) hits.push(performance.now() - t); // the first ten warm the JIT
  }

  const form = new URLSearchParams({ grant_type: "client_credentials", scope, client_id: clientId, client_secret: clientSecret }).toString();
  const calls = {
    raw: async () => (await fetch(tokenEndpoint, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", accept: "application/json" }, body: form })).json(),
    edge: () => app.acquireTokenByClientCredential({ scopes: [scope], skipCache: true }),
    oauth4webapi: async () => {
      const options = { [oauth.allowInsecureRequests]: true };
      const response = await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope }), options);
      return oauth.processClientCredentialsResponse(as, client, response);
    },
  };
  const samples = { raw: [], edge: [], oauth4webapi: [] };
  for (let round = 0; round < 8; round++) {
    for (const [name, call] of Object.entries(calls)) {
      for (let i = 0; i < 10; i++) await call(); // warm
      for (let i = 0; i < 50; i++) {
        t = performance.now();
        await call();
        samples[name].push((performance.now() - t) * 1000);
      }
    }
  }
  const [raw, edge, reference] = ["raw", "edge", "oauth4webapi"].map((k) => median(samples[k]));

  // The same two clients over a fetch that answers at once: their own work only, free of the
  // network's and the token server's noise. Batches of 100, interleaved.
  const body = '{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.sig"}';
  const stub = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
  const stubApp = new ConfidentialClientApplication({ auth: { clientId, tokenEndpoint, clientSecret }, system: { fetch: stub } });
  const cpu = {
    stub: async () => (await stub()).json(),
    edge: () => stubApp.acquireTokenByClientCredential({ scopes: [scope], skipCache: true }),
    oauth4webapi: async () => {
      const options = { [oauth.allowInsecureRequests]: true, [oauth.customFetch]: stub };
      return oauth.processClientCredentialsResponse(as, client, await oauth.clientCredentialsGrantRequest(as, client, auth, new URLSearchParams({ scope }), options));
    },
  };
  const cpuSamples = { stub: [], edge: [], oauth4webapi: [] };
  for (let round = 0; round < 30; round++) {
    for (const [name, call] of Object.entries(cpu)) {
      t = performance.now();
      for (let i = 0; i < 100; i++) await call();
      if (round >= 5) cpuSamples[name].push((performance.now() - t) * 10);
    }
  }
  const [stubbed, edgeCpu, referenceCpu] = ["stub", "edge", "oauth4webapi"].map((k) => median(cpuSamples[k]));
  return { importAndClient, oauthImport, memoryHit: median(hits), raw, edge, oauth4webapi: reference, stubbed, edgeCpu, oauth4webapiCpu: referenceCpu };
}
