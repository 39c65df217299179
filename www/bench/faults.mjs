// Faults side by side (issue 20), standalone: `node www/bench/faults.mjs` after scripts/build.sh.
// 1. A cold acquisition with the store down (a real redis-server paused with SIGSTOP, or
//    killed) next to the same app without a store, the identity provider answering in 200 ms:
//    the first cold call (breaker closed) and the next (breaker open), default deadline (30 s).
// 2. Four daemon processes over one Redis, the identity provider answering 401 (then 429) to
//    the lease holder after holding it: how long after the holder's failure the last waiter
//    learns it, and the token requests made.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import Redis from "ioredis";
import { ConfidentialClientApplication } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import { CLIENT_ID, SECRET, TENANT, entraError, startEntraFake, throttled } from "../test/support/entra-fake.mjs";
import { startRedis } from "../test/support/redis.mjs";

const DAEMON = fileURLToPath(new URL("../test/support/fleet-daemon.mjs", import.meta.url));
const fake = await startEntraFake();
const IDP_MS = 200;
fake.respondWith(() => new Promise((resolve) => setTimeout(() => resolve(undefined), IDP_MS)));
const ms = (t) => Number(process.hrtime.bigint() - t) / 1e6;
const rows = [];

const app = (store) => new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET }, cache: store ? { store } : {} });
let n = 0;
const cold = async (a) => {
  const t = process.hrtime.bigint();
  await a.acquireTokenByClientCredential({ scopes: [`https://api-${n++}.example.com/.default`] });
  return ms(t);
};

const none = app(null);
const noStore = [await cold(none), await cold(none)];
rows.push(["cold call, no store", `${noStore[0].toFixed(0)} ms, then ${noStore[1].toFixed(0)} ms`]);
for (const fault of ["paused", "killed"]) {
  const redis = await startRedis();
  const client = new Redis({ path: redis.socket }); // ioredis defaults: commands queue while it reconnects
  client.on("error", () => {});
  const a = app(new RedisStore(client));
  await cold(a);
  if (fault === "paused") redis.pause();
  else await redis.kill();
  const first = await cold(a);
  const second = await cold(a);
  rows.push([`cold call, Redis ${fault}`, `${first.toFixed(0)} ms (breaker opens), then ${second.toFixed(0)} ms (open)`]);
  client.disconnect();
  await redis.stop();
}

for (const [what, answer] of [["401", (req) => entraError(req, 7000215, { clientId: CLIENT_ID, tenant: TENANT })], ["429 Retry-After 120", () => throttled(120)]]) {
  const redis = await startRedis();
  const daemons = Array.from({ length: 4 }, (_, i) => {
    const child = spawn(process.execPath, [DAEMON, redis.socket, `${fake.url}/${TENANT}`, CLIENT_ID, SECRET, `d${i}`, "2000"], { stdio: ["pipe", "pipe", "inherit"] });
    const d = { child, ready: false, waiting: false, at: null };
    createInterface({ input: child.stdout }).on("line", (line) => {
      const m = JSON.parse(line);
      if (m.ready) d.ready = true;
      if (m.log && /holds this token's lease: waiting/.test(m.log[1])) d.waiting = true;
      if (m.error || m.result) d.at = process.hrtime.bigint();
    });
    return d;
  });
  const poll = async (cond) => {
    while (!cond()) await new Promise((r) => setTimeout(r, 5));
  };
  await poll(() => daemons.every((d) => d.ready));
  let release;
  const held = new Promise((r) => (release = r));
  let failedAt;
  const before = fake.requests.length;
  fake.respondWith(async (req) => {
    await held;
    failedAt = process.hrtime.bigint();
    return answer(req);
  });
  for (const d of daemons) d.child.stdin.write("go\n");
  await poll(() => daemons.filter((d) => d.waiting).length === 3);
  release();
  await poll(() => daemons.every((d) => d.at));
  const last = Math.max(...daemons.map((d) => Number(d.at - failedAt) / 1e6));
  rows.push([`4 processes, the holder gets ${what}`, `last waiter knows ${last.toFixed(0)} ms after the holder's failure; ${fake.requests.length - before} token request(s)`]);
  for (const d of daemons) d.child.stdin.end();
  await redis.stop();
}
fake.respondWith(undefined);
await fake.close();
for (const [what, value] of rows) console.log(`| ${what} | ${value} |`);
