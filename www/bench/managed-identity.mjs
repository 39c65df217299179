// Managed identity, side by side: entra-edge's ManagedIdentityCredential next to
// @azure/identity's, against the same fake IMDS (test/support/imds-fake.mjs) in its own process.
// Prints one markdown table (BENCHMARKS.md holds the latest). Run with
//   node www/bench/managed-identity.mjs      (after scripts/build.sh; needs redis-server)
import { fork, spawn } from "node:child_process";
import { createServer } from "node:net";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { ManagedIdentityCredential as AzureManaged } from "@azure/identity";
import { ManagedIdentityCredential } from "entra-edge";
import { startRedis } from "../test/support/redis.mjs";

const STORAGE = "https://storage.azure.com/.default";
const PROC = fileURLToPath(new URL("./mi-proc.mjs", import.meta.url));
const rows = [];
const row = (what, edge, other, note = "") => (rows.push(`| ${what} | ${edge} | ${other} | ${note} |`), console.error(rows.at(-1)));
const us = (ns) => `${(Number(ns) / 1000).toFixed(1)} µs`;
const ms = (x) => (Number.isFinite(x) ? `${Math.round(x)} ms` : "> 30 s");

async function timeEach(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn(i);
    samples.push(process.hrtime.bigint() - t);
  }
  samples.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return samples[Math.floor(samples.length / 2)];
}

const server = fork(fileURLToPath(new URL("./imds-server.mjs", import.meta.url)));
const base = await new Promise((resolve) => server.once("message", resolve));
const count = () => new Promise((resolve) => (server.once("message", resolve), server.send("count")));
process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = base;

// Memory hit.
const edge = new ManagedIdentityCredential();
const azure = new AzureManaged();
await edge.getToken(STORAGE);
await azure.getToken(STORAGE);
// Warmed up first: the JIT, not the cache, decides the first thousands of calls.
await timeEach(20_000, () => edge.getToken(STORAGE));
await timeEach(2_000, () => azure.getToken(STORAGE));
const [eHit, aHit] = [await timeEach(20_000, () => edge.getToken(STORAGE)), await timeEach(2_000, () => azure.getToken(STORAGE))];
row("getToken, memory hit, median", us(eHit), us(aHit), `${(Number(aHit) / Number(eHit)).toFixed(0)}x faster`);

// Cold: a resource neither has asked for yet (msal-node shares its managed-identity tokens across
// credentials in a process, so a new credential would not be cold).
let fresh = 0;
const resource = () => `https://cold-${fresh++}.example/.default`;
const cold = async (credential, n) => {
  const before = await count();
  const median = await timeEach(n, () => credential.getToken(resource()));
  return [median, ((await count()) - before) / n];
};
const [eCold, ePer] = await cold(edge, 300);
const [aCold, aPer] = await cold(azure, 300);
row("getToken, cold (a resource not asked for yet), median", us(eCold), us(aCold), `IMDS token requests per call: ${ePer}, ${aPer}; fake IMDS in another process`);

// 1000 concurrent cold calls.
const concurrent = async (credential) => {
  const n = await count();
  const scope = resource();
  await Promise.all(Array.from({ length: 1000 }, () => credential.getToken(scope)));
  return (await count()) - n;
};
row("IMDS token requests for 1000 concurrent cold calls", String(await concurrent(edge)), String(await concurrent(azure)), "");

// A fleet: 8 processes x 100 concurrent cold calls, entra-edge over one redis-server.
async function fleet(mode, socket) {
  const procs = Array.from({ length: 8 }, () => {
    const child = spawn(process.execPath, [PROC, mode, socket, "100"], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    const next = () => new Promise((resolve) => lines.once("line", (l) => resolve(JSON.parse(l))));
    return { child, next };
  });
  await Promise.all(procs.map((p) => p.next()));
  const n = await count();
  const done = procs.map((p) => p.next());
  procs.forEach((p) => p.child.stdin.write("go\n"));
  await Promise.all(done);
  procs.forEach((p) => p.child.stdin.end());
  return (await count()) - n;
}
const redis = await startRedis();
row("IMDS token requests, 8 processes x 100 concurrent cold calls", `${await fleet("fleet-edge", redis.socket)} (one RedisStore)`, String(await fleet("fleet-azure", "-")), "processes released together");
await redis.stop();

// DefaultAzureCredential with nothing available, in fresh processes: IMDS refusing connections,
// then IMDS accepting connections and never answering; no az on PATH.
const refused = createServer();
await new Promise((r) => refused.listen(0, "127.0.0.1", r));
const refusedUrl = `http://127.0.0.1:${refused.address().port}`;
await new Promise((r) => refused.close(r));
const hole = createServer(() => {});
await new Promise((r) => hole.listen(0, "127.0.0.1", r));
const holeUrl = `http://127.0.0.1:${hole.address().port}`;
async function unavailable(mode, host) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(AZURE_|IDENTITY_|MSI_|IMDS_)/.test(k)));
  const child = spawn(process.execPath, [PROC, mode], { env: { ...env, PATH: "/nonexistent", AZURE_POD_IDENTITY_AUTHORITY_HOST: host }, stdio: ["ignore", "pipe", "inherit"] });
  // Given up after 30 s: enough to tell a stall from a quick answer.
  const line = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), 30_000);
    createInterface({ input: child.stdout }).once("line", (l) => (clearTimeout(timer), resolve(l)));
  });
  child.kill();
  return line ? JSON.parse(line) : { ms: Infinity, error: "nothing within 30 s" };
}
for (const [what, host] of [["refused", refusedUrl], ["never answering", holeUrl]]) {
  const [e, a] = [await unavailable("unavailable-edge", host), await unavailable("unavailable-azure", host)];
  row(`DefaultAzureCredential with nothing available (IMDS ${what}): time to ${e.error} / ${a.error}`, ms(e.ms), ms(a.ms), what === "refused" ? "" : "entra-edge waits system.timeoutMs (default 10 s) for the first IMDS answer");
}
hole.close();
server.send("stop");

console.log("| measure | entra-edge | @azure/identity 4.14.1 | note |\n|---|---|---|---|");
console.log(rows.join("\n"));
