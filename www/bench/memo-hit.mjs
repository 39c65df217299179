// The memory hit in Node, side by side (issue 24): this build next to another build of the
// package (its dist/node.mjs, "before"), alternated in one process, N awaited hits per round
// timed together (a clock read per call would weigh as much as a hit), medians of the rounds.
// Then the steps of one hit, each timed alone over this build's memo.js.
//   node www/bench/memo-hit.mjs [before: path to another build's dist/node.mjs]
// Stub fetch and a fake IMDS (imds-server.mjs, its own process): only the hit is measured.
import { fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ManagedIdentityCredential as AzureManaged } from "@azure/identity";
import * as after from "entra-edge";
import { hitCorrelationId, hitResult, isPlain, Memo } from "../src/memo.js";

const before = process.argv[2] ? await import(new URL(process.argv[2], `file://${process.cwd()}/`).href) : null;
const N = 500_000;
const ROUNDS = 7;
const GRAPH = ["https://graph.microsoft.com/.default"];
const STORAGE = "https://storage.azure.com/.default";
const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const body = JSON.stringify({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: "eyJ0eXAiOiJKV1QifQ.e30.sig" });
const fetch = async () => new Response(body, { status: 200, headers: { "content-type": "application/json" } });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function perHit(fn, n) {
  const t = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - t) / n;
}

/** Each contender's median ns per hit over alternated rounds (the first round warms up). */
async function sideBySide(contenders, n = N) {
  const runs = contenders.map(() => []);
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [i, [, fn]] of contenders.entries()) {
      const ns = await perHit(fn, round === 0 ? n / 10 : n);
      if (round > 0) runs[i].push(ns);
    }
  }
  return runs.map(median);
}

const server = fork(fileURLToPath(new URL("./imds-server.mjs", import.meta.url)));
const imds = await new Promise((resolve) => server.once("message", resolve));
process.env.AZURE_POD_IDENTITY_AUTHORITY_HOST = imds;

const builds = before ? [["before", before], ["after", after]] : [["this build", after]];
const hits = {};
for (const [name, pkg] of builds) {
  const app = new pkg.ConfidentialClientApplication({ auth: { clientId: "c", authority: `https://login.microsoftonline.com/${TENANT}`, clientSecret: "s", allowedTenants: ["*"] }, system: { fetch } });
  const credential = new pkg.ClientSecretCredential(TENANT, "c", "s", { system: { fetch } });
  const managed = new pkg.ManagedIdentityCredential();
  await app.acquireTokenByClientCredential({ scopes: GRAPH });
  await app.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: "contoso.example" });
  await credential.getToken(STORAGE);
  await managed.getToken(STORAGE);
  hits[name] = {
    "acquireTokenByClientCredential, one scope": () => app.acquireTokenByClientCredential({ scopes: GRAPH }),
    "acquireTokenByClientCredential, scope and tenantId": () => app.acquireTokenByClientCredential({ scopes: GRAPH, tenantId: "contoso.example" }),
    "ClientSecretCredential.getToken": () => credential.getToken(STORAGE),
    "ManagedIdentityCredential.getToken": () => managed.getToken(STORAGE),
  };
}
const azure = new AzureManaged();
await azure.getToken(STORAGE);

const rows = [];
for (const what of Object.keys(hits[builds[0][0]])) {
  const contenders = builds.map(([name]) => [name, hits[name][what]]);
  if (what.startsWith("Managed")) contenders.push(["@azure/identity", () => azure.getToken(STORAGE)]);
  // @azure/identity's hit is ~50x slower: fewer calls keep the round as long.
  const ns = await sideBySide(contenders, what.startsWith("Managed") ? N / 10 : N);
  const cells = ns.map((x) => `${(x / 1000).toFixed(3)} µs`);
  if (cells.length === builds.length) cells.push("");
  let note = before ? `after/before ${(ns[1] / ns[0]).toFixed(2)}` : "";
  if (contenders.length > builds.length) note += `; @azure/identity / this build: ${(ns.at(-1) / ns[builds.length - 1]).toFixed(0)}x`;
  rows.push(`| ${what} | ${cells.join(" | ")} | ${note} |`);
}
server.kill();

// The steps of one hit (this build), each alone, N times in a synchronous loop except the
// promise rows; the request object is built in every row, as a caller builds it.
const memo = new Memo(10, () => {});
const answer = { key: "k", accessToken: "t", tokenType: "Bearer", expiresOn: Date.now() + 3.6e6, extExpiresOn: Date.now() + 3.6e6, refreshOn: null, scopes: GRAPH, tenantId: TENANT, serveUntil: Date.now() + 3e6, issuedAt: Date.now() };
memo.remember(answer, { scopes: GRAPH });
const entry = memo.lookup({ scopes: GRAPH });
let sink;
const steps = {
  "building the request object (the floor of each row)": () => {
    for (let i = 0; i < N; i++) sink = { scopes: GRAPH };
  },
  "memo lookup (two Map gets by the caller's strings)": () => {
    for (let i = 0; i < N; i++) sink = memo.lookup({ scopes: GRAPH });
  },
  "isPlain (for-in over the request)": () => {
    for (let i = 0; i < N; i++) sink = isPlain({ scopes: GRAPH });
  },
  "the clock (Date.now)": () => {
    for (let i = 0; i < N; i++) sink = { scopes: GRAPH, t: Date.now() };
  },
  "hitCorrelationId": () => {
    for (let i = 0; i < N; i++) sink = { scopes: GRAPH, id: hitCorrelationId() };
  },
  "hitResult (three fields made: Dates, scopes, id)": () => {
    for (let i = 0; i < N; i++) sink = { scopes: GRAPH, r: hitResult(entry) };
  },
};
const stepNs = {};
for (let round = 0; round <= ROUNDS; round++) {
  for (const [name, f] of Object.entries(steps)) {
    const t = process.hrtime.bigint();
    f();
    if (round > 0) (stepNs[name] ??= []).push(Number(process.hrtime.bigint() - t) / N);
  }
  const t = process.hrtime.bigint();
  for (let i = 0; i < N; i++) sink = await Promise.resolve({ scopes: GRAPH });
  if (round > 0) (stepNs["await Promise.resolve(x) (the one promise of a hit)"] ??= []).push(Number(process.hrtime.bigint() - t) / N);
}
void sink;

console.log(`Memory hit, Node ${process.version}: ${N.toLocaleString("en")} awaited hits per round, ${ROUNDS} alternated rounds, medians\n`);
console.log(`| hit | ${builds.map(([n]) => n).join(" | ")} | @azure/identity (managed identity row) | note |`);
console.log(`|---|${builds.map(() => "---|").join("")}---|---|`);
for (const r of rows) console.log(r);
console.log("\nSteps of one hit (this build), each alone, median ns per call:\n\n| step | ns |\n|---|---|");
for (const [name, xs] of Object.entries(stepNs)) console.log(`| ${name} | ${median(xs).toFixed(1)} |`);
