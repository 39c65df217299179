// Benchmark Worker for the breakdown of entra-edge's paths inside workerd (bench/breakdown.mjs).
// Each request runs N operations of one kind, so per-call costs are measured from outside
// (inside workerd, timers only advance across I/O). The store is an in-isolate Map, so no KV
// latency is in the numbers: what is left is the package's own code.
//   /noop                       the dispatch baseline
//   /store?impl=edge|hand&n=N   N store hits (memory level off)
//   /cold?impl=edge|hand|raw&n=N N token requests (skipCache) against a stub fetch
//   /decrypt?n=N                N WebCrypto AES-256-GCM opens of a token-sized envelope
//   /hit?impl=edge|hand&n=N     N memory hits
import { ConfidentialClientApplication } from "entra-edge";

const BODY = JSON.stringify({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${"x".repeat(1800)}.${"y".repeat(342)}` });
// A token endpoint answered in the isolate: only the package's own work is timed.
const stubFetch = async () => new Response(BODY, { status: 200, headers: { "content-type": "application/json" } });

function mapStore() {
  const map = new Map();
  return {
    map,
    get: async (k) => map.get(k) ?? null,
    put: async (k, v) => void map.set(k, v),
    delete: async (k) => void map.delete(k),
  };
}

const apps = new Map();
function edge(kind) {
  if (!apps.has(kind)) {
    apps.set(kind, new ConfidentialClientApplication({
      auth: { clientId: "bench", tokenEndpoint: "https://idp.example/token", clientSecret: "bench-secret-0123456789" },
      cache: { store: mapStore(), memory: kind !== "store" },
      system: { fetch: stubFetch },
    }));
  }
  return apps.get(kind);
}

// The hand-written helper's logic (handrolled.js) over the same Map and stub fetch.
const handMemo = new Map();
const handStore = mapStore();
async function hand(op) {
  const now = Date.now();
  const key = "bench:scope";
  if (op !== "cold") {
    const cached = op === "hit" && handMemo.get(key);
    if (cached && cached.expiresAt - 300_000 > now) return cached.accessToken;
    const stored = JSON.parse((await handStore.get(`hand:${key}`)) ?? "null");
    if (stored && stored.expiresAt - 300_000 > now) {
      if (op === "hit") handMemo.set(key, stored);
      return stored.accessToken;
    }
  }
  const res = await stubFetch("https://idp.example/token", { method: "POST", body: new URLSearchParams({ grant_type: "client_credentials", client_id: "bench", client_secret: "s", scope: "api://bench/.default" }) });
  const body = await res.json();
  const entry = { accessToken: body.access_token, expiresAt: now + body.expires_in * 1000 };
  handMemo.set(key, entry);
  await handStore.put(`hand:${key}`, JSON.stringify(entry));
  return entry.accessToken;
}

let aes;
async function decryptSetup() {
  const key = await crypto.subtle.importKey("raw", new Uint8Array(32), "AES-GCM", false, ["encrypt", "decrypt"]);
  const iv = new Uint8Array(12);
  const additionalData = new TextEncoder().encode("entra-edge:v1:0123456789abcdef0123456789abcdef");
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData }, key, new TextEncoder().encode(BODY));
  return { key, iv, additionalData, sealed };
}

export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    const op = url.pathname.slice(1);
    const impl = url.searchParams.get("impl");
    const n = Number(url.searchParams.get("n") ?? 1);
    const waitUntil = ctx.waitUntil.bind(ctx);
    const scopes = ["api://bench/.default"];
    if (op === "decrypt") {
      aes ??= await decryptSetup();
      for (let i = 0; i < n; i++) await crypto.subtle.decrypt({ name: "AES-GCM", iv: aes.iv, additionalData: aes.additionalData }, aes.key, aes.sealed);
    } else if (op !== "noop") {
      for (let i = 0; i < n; i++) {
        if (impl === "hand") await hand(op);
        else if (impl === "raw") await (await stubFetch()).json();
        else await edge(op).acquireTokenByClientCredential({ scopes, skipCache: op === "cold", waitUntil });
      }
    }
    return new Response("ok");
  },
};
