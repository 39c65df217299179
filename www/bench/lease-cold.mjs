// A cold acquisition over a real redis-server with the lease (RedisStore), side by side: this
// build next to another build of the package (its dist/node.mjs, "before"), alternated in one
// process over one connection, a fresh tenant per call (so every call misses memory and store,
// takes the lease, requests, writes and releases), medians. Issue 21: the lease holder reads the
// entry once more after taking the lease; this is what that read costs.
//   node www/bench/lease-cold.mjs <before: path to another build's dist/node.mjs>
// Stub fetch: only the library and Redis are measured.
import Redis from "ioredis";
import * as after from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import { startRedis } from "../test/support/redis.mjs";

const before = await import(new URL(process.argv[2], `file://${process.cwd()}/`).href);
const ROUNDS = 300;
const body = JSON.stringify({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: "eyJ0eXAiOiJKV1QifQ.e30.sig" });
const fetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const redis = await startRedis();
const client = new Redis({ path: redis.socket });
try {
  const store = new RedisStore(client);
  const app = (lib) =>
    new lib.ConfidentialClientApplication({
      auth: { clientId: "c", authority: "https://login.microsoftonline.com/home.example", clientSecret: "s0123456789abcdef", allowedTenants: ["*"] },
      cache: { store },
      system: { fetch },
    });
  const apps = [["before", app(before)], ["after", app(after)]];
  const run = Date.now();
  const background = [];
  const cold = async (a, tenant) => {
    const t = process.hrtime.bigint();
    await a.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"], tenantId: `${tenant}-${run}.example`, waitUntil: (p) => background.push(p) });
    return Number(process.hrtime.bigint() - t) / 1000;
  };
  for (let i = 0; i < 30; i++) for (const [name, a] of apps) await cold(a, `warm-${name}-${i}`);
  const samples = { before: [], after: [] };
  for (let i = 0; i < ROUNDS; i++) {
    for (const [name, a] of i % 2 ? [...apps].reverse() : apps) samples[name].push(await cold(a, `${name}-${i}`));
  }
  const [b, a] = [median(samples.before), median(samples.after)];
  console.log(`cold acquisition over Redis with the lease, median of ${ROUNDS}: before ${b.toFixed(1)} µs, after ${a.toFixed(1)} µs (${(a / b).toFixed(2)}x, +${(a - b).toFixed(1)} µs)`);
  await Promise.all(background);
} finally {
  await client.quit();
  await redis.stop();
}
