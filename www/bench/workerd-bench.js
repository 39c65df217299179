// Benchmark Worker: runs N acquisitions per request so that per-call costs can be measured
// from outside (inside workerd, Date.now() only advances across I/O).
//   /assert?alg=secret|PS256|RS256|ES256&n=N   N token requests answered by a stub fetch (no I/O)
//   /store?n=N                                  N acquisitions served from KV (memory: false)
//   /noop                                       the dispatch baseline
import { ConfidentialClientApplication } from "entra-edge";

const stubFetch = async () =>
  new Response('{"token_type":"Bearer","expires_in":3599,"access_token":"x.y.z"}', { status: 200, headers: { "content-type": "application/json" } });
const apps = {};

function appFor(env, alg) {
  const credential =
    alg === "secret" ? { clientSecret: "s" } :
    alg === "ES256" ? { clientCertificate: { privateKey: env.EC_KEY } } :
    alg === "RS256" ? { clientCertificate: { privateKey: env.RSA_KEY, thumbprint: env.RSA_SHA1 } } :
    { clientCertificate: { privateKey: env.RSA_KEY, thumbprintSha256: env.RSA_SHA256 } };
  apps[alg] ??= new ConfidentialClientApplication({
    auth: { clientId: "bench", tokenEndpoint: "https://idp.example/token", ...credential },
    system: { fetch: stubFetch },
  });
  return apps[alg];
}

export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? 1);
    if (url.pathname === "/assert") {
      const app = appFor(env, url.searchParams.get("alg"));
      for (let i = 0; i < n; i++) await app.acquireTokenByClientCredential({ scopes: ["s"], skipCache: true });
    } else if (url.pathname === "/store") {
      apps.store ??= new ConfidentialClientApplication({
        auth: { clientId: "bench", tokenEndpoint: "https://idp.example/token", clientSecret: "s" },
        cache: { store: env.TOKEN_CACHE, memory: false },
        system: { fetch: stubFetch },
      });
      const writes = [];
      await apps.store.acquireTokenByClientCredential({ scopes: ["s"], waitUntil: (p) => writes.push(p) });
      await Promise.all(writes);
      for (let i = 0; i < n; i++) {
        const r = await apps.store.acquireTokenByClientCredential({ scopes: ["s"] });
        if (r.tokenSource !== "store") throw new Error(`expected a store hit, got ${r.tokenSource}`);
      }
    }
    return new Response("ok");
  },
};
