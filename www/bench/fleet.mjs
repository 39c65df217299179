// Fleets, side by side: token requests made by P processes x 100 concurrent cold calls over a
// real redis-server, with entra-edge's lease, without it, and msal-node; what the lease adds to
// one cold acquisition; and a Durable Object store hit next to a KV hit in workerd.
import { spawn } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { ConfidentialClientApplication } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import Redis from "ioredis";
import { bundleWorker } from "../test/support/workerd.mjs";

const PROC = fileURLToPath(new URL("./fleet-proc.mjs", import.meta.url));
const CWD = fileURLToPath(new URL("..", import.meta.url));

async function startRedis() {
  const socket = join(await mkdtemp(join(tmpdir(), "entra-edge-bench-redis-")), "redis.sock");
  const server = spawn("redis-server", ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "ignore"] });
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.stdout.on("data", (d) => /ready to accept connections/i.test(d.toString()) && resolve());
  });
  return { socket, stop: () => server.kill() };
}

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

export async function benchFleet({ row, stats, us, tokenServerUrl }) {
  const redis = await startRedis();
  const count = async () => Number(await (await fetch(tokenServerUrl)).text());
  try {
    for (const processes of [1, 4, 16]) {
      const [lease, noLease, msal] = [
        await fleetRequests("lease", processes, redis.socket, tokenServerUrl, count),
        await fleetRequests("nolease", processes, redis.socket, tokenServerUrl, count),
        await fleetRequests("msal", processes, redis.socket, tokenServerUrl, count),
      ];
      row(`token requests, ${processes} process${processes > 1 ? "es" : ""} x 100 concurrent cold calls (Redis)`, `${lease} with the lease, ${noLease} without`, String(msal), "processes released together");
    }

    // What the lease adds to one cold acquisition: a fresh tenant each time, same store otherwise.
    const client = new Redis({ path: redis.socket });
    const store = new RedisStore(client);
    const plain = { get: (k) => store.get(k), put: (k, v, o) => store.put(k, v, o), delete: (k) => store.delete(k) };
    const cold = async (s, label) => {
      const app = new ConfidentialClientApplication({ auth: { clientId: "c", authority: `${tokenServerUrl}/home.example`, clientSecret: "s0123456789abcdef", allowedTenants: ["*"] }, cache: { store: s } });
      const samples = [];
      for (let i = 0; i < 300; i++) {
        const t = process.hrtime.bigint();
        await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"], tenantId: `${label}-${i}.example` });
        samples.push(process.hrtime.bigint() - t);
      }
      return stats(samples).median;
    };
    const [withLease, without] = [await cold(store, `l${Date.now()}`), await cold(plain, `p${Date.now()}`)];
    row("cold acquisition over Redis, median: with the lease, without it", `${us(withLease)}, ${us(without)} (+${us(withLease - without)})`, "", "the lease is one SET NX PX on a miss; its release runs in the background");
    await client.quit();
  } finally {
    redis.stop();
  }

  // A store hit in workerd: the Durable Object next to KV (memory level off).
  const bundle = await bundleWorker(fileURLToPath(new URL("./store-worker.js", import.meta.url)));
  const mf = new Miniflare({
    modulesRoot: bundle,
    modules: [
      { type: "ESModule", path: join(bundle, "worker.js") },
      { type: "CompiledWasm", path: join(bundle, "entra_edge_bg.wasm") },
    ],
    compatibilityDate: "2026-04-01",
    bindings: { CLIENT_ID: "c", CLIENT_SECRET: "s", TOKEN_ENDPOINT: `${tokenServerUrl}/token`, SCOPE: "https://graph.microsoft.com/.default" },
    kvNamespaces: ["TOKEN_CACHE"],
    durableObjects: { TOKEN_CACHE_DO: { className: "EntraEdgeTokenCache", useSQLite: true } },
  });
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
