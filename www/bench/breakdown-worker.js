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
import { handRolledToken } from "./handrolled.js";

const BODY = JSON.stringify({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: `eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.${"x".repeat(1800)}.${"y".repeat(342)}` });
// A token endpoint answered in the isolate: only the package's own work is timed.
const stubFetch = async () => new Response(BODY, { status: 200, headers: { "content-type": "application/json" } });

function mapStore() {
  const map = new Map();
  return {
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

// The hand-written helper (handrolled.js) over the same kind of Map store and the stub fetch.
const handMap = new Map();
const handEnv = {
  TOKEN_CACHE: {
    get: async (k, type) => {
      const v = handMap.get(k) ?? null;
      return type === "json" && v !== null ? JSON.parse(v) : v;
    },
    put: async (k, v) => void handMap.set(k, v),
  },
};
const hand = (op) =>
  handRolledToken(handEnv, {
    tokenEndpoint: "https://idp.example/token",
    clientId: "bench",
    clientSecret: "s",
    scope: "api://bench/.default",
    skipCache: op === "cold",
    memory: op === "hit",
    fetch: stubFetch,
  });

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
