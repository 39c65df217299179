// Fleets, side by side: token requests made by P processes x 100 concurrent cold calls over a
// real redis-server, with entra-edge's lease, without it, and msal-node; what the lease adds to
// one cold acquisition; and a Durable Object store hit next to a KV hit in workerd.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { ConfidentialClientApplication } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import Redis from "ioredis";
import { startRedis, withoutLease } from "../test/support/redis.mjs";
import { bundleWorker, workerOptions } from "../test/support/workerd.mjs";

const PROC = fileURLToPath(new URL("./fleet-proc.mjs", import.meta.url));
const CWD = fileURLToPath(new URL("..", import.meta.url));

/** Token requests made by `processes` processes of `mode`, released together. */
async function fleetRequests(mode, processes, socket, tokenServerUrl, count) {
  const tenant = `fleet-${mode}-${processes}-${Date.now()}.example`;
  const children = Array.from({ length: processes }, () => spawn(process.execPath, [PROC, mode, socket, tokenServerUrl, tenant, "100"], { cwd: CWD, stdio: ["pipe", "pipe", "inherit"] }));
  const said = (child, word) => new Promise((resolve) => createInterface({ input: child.stdout }).on("line", (l) => l === word && resolve()));
  const ready = children.map((c) => said(c, "ready"));
  await Promise.all(ready);
  const done = children.map((c) => said(c, "done"));
  const before = await count();
  for (const c of children) c.stdin.write("go\n");
  await Promise.all(done);
  const requests = (await count()) - before;
  for (const c of children) c.stdin.end();
  return requests;
}

export async function benchFleet({ row, stats, us, tokenServerUrl, tokenRequests }) {
  const redis = await startRedis();
  try {
    for (const processes of [1, 4, 16]) {
      const [lease, noLease, msal] = [
        await fleetRequests("lease", processes, redis.socket, tokenServerUrl, tokenRequests),
        await fleetRequests("nolease", processes, redis.socket, tokenServerUrl, tokenRequests),
        await fleetRequests("msal", processes, redis.socket, tokenServerUrl, tokenRequests),
      ];
      row(`token requests, ${processes} process${processes > 1 ? "es" : ""} x 100 concurrent cold calls (Redis)`, `${lease} with the lease, ${noLease} without`, String(msal), "processes released together");
    }

    // What the lease adds to one cold acquisition: a fresh tenant each time, the same store and
    // connection otherwise. Both warmed, then alternated (in turns, each going first every other
    // iteration), so that warm-up and drift fall on both alike.
    const client = new Redis({ path: redis.socket });
    const store = new RedisStore(client);
    const app = (s) => new ConfidentialClientApplication({ auth: { clientId: "c", authority: `${tokenServerUrl}/home.example`, clientSecret: "s0123456789abcdef", allowedTenants: ["*"] }, cache: { store: s } });
    const apps = { lease: app(store), plain: app(withoutLease(store)) };
    const run = Date.now();
    // The lease's release and the entry's write, awaited before the connection closes.
    const background = [];
    const cold = async (name, i) => {
      const t = process.hrtime.bigint();
      await apps[name].acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"], tenantId: `${name}-${run}-${i}.example`, waitUntil: (p) => background.push(p) });
      return process.hrtime.bigint() - t;
    };
    for (let i = 0; i < 30; i++) for (const name of ["lease", "plain"]) await cold(name, `warm-${i}`);
    const samples = { lease: [], plain: [] };
    for (let i = 0; i < 300; i++) {
      for (const name of i % 2 ? ["plain", "lease"] : ["lease", "plain"]) samples[name].push(await cold(name, i));
    }
    const [withLease, without] = [stats(samples.lease).median, stats(samples.plain).median];
    row("cold acquisition over Redis, median: with the lease, without it", `${us(withLease)}, ${us(without)} (+${us(withLease - without)})`, "", "the lease is one SET NX PX on a miss; its release runs in the background");
    await Promise.all(background);
    await client.quit();
  } finally {
    await redis.stop();
  }

  // A store hit in workerd: the Durable Object next to KV (memory level off).
  const bundle = await bundleWorker(fileURLToPath(new URL("./store-worker.js", import.meta.url)));
  const mf = new Miniflare(
    workerOptions(bundle, {
      bindings: { CLIENT_ID: "c", CLIENT_SECRET: "s", TOKEN_ENDPOINT: `${tokenServerUrl}/token`, SCOPE: "https://graph.microsoft.com/.default" },
      kvNamespaces: ["TOKEN_CACHE"],
      durableObjects: { TOKEN_CACHE_DO: { className: "EntraEdgeTokenCache", useSQLite: true } },
    }),
  );
  try {
    const call = async (path) => {
      const t = process.hrtime.bigint();
      await (await mf.dispatchFetch(`http://bench${path}`)).text();
      return process.hrtime.bigint() - t;
    };
    const N = 200;
    const perCall = async (path) => {
      await call(path);
      const runs = [];
      for (let i = 0; i < 7; i++) runs.push(await call(path));
      return stats(runs).median;
    };
    await call("/hit?store=kv&n=1");
    await call("/hit?store=do&n=1");
    const noop = await perCall("/noop");
    const [kv, dObj] = [(await perCall(`/hit?store=kv&n=${N}`)) - noop, (await perCall(`/hit?store=do&n=${N}`)) - noop];
    row("store hit in workerd (Miniflare), median per call: Durable Object, KV", `${us(dObj / BigInt(N))}, ${us(kv / BigInt(N))}`, "", "memory level off; both open AES-GCM; local Miniflare, not the network");
  } finally {
    await mf.dispose();
  }
}
