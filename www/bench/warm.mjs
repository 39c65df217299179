// Issue 23's numbers: a simulated day (injected clock) of steady traffic with and without
// refreshDue every 5 minutes, and what stats and a configured tracer cost on the memory hit and
// on the cold path. Local endpoints only. Run after scripts/build.sh:
//   node www/bench/warm.mjs [path/to/another/dist/node.mjs]   (--cold plain|traced: one child)
// The optional argument is a build to compare the memory hit with (e.g. main's www/dist copied
// aside); rounds alternate between the builds so drift hits both alike.
import { BasicTracerProvider, BatchSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { ConfidentialClientApplication } from "entra-edge";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "../test/support/entra-fake.mjs";

const MINUTE = 60_000;
const SCOPES = ["https://graph.microsoft.com/.default", "https://vault.azure.net/.default", "https://storage.azure.com/.default"];
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const us = (ns) => `${(ns / 1000).toFixed(2)} µs`;

// 1. A simulated day: each of three keys asked every 30 s; Entra's 1-hour tokens.
async function day(refreshEveryMs) {
  let clock = Date.UTC(2026, 11, 6);
  const now = () => clock;
  const fake = await startEntraFake({ now });
  const app = new ConfidentialClientApplication({
    auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret: SECRET },
    system: { now },
  });
  const end = clock + 24 * 60 * MINUTE;
  let calls = 0;
  let waited = 0;
  let waitedAfterFirst = 0;
  const seen = new Set();
  for (let t = 0; clock < end; t++, clock += 30_000) {
    if (refreshEveryMs && clock % refreshEveryMs === 0) await app.refreshDue();
    for (const scope of SCOPES) {
      const r = await app.acquireTokenByClientCredential({ scopes: [scope] });
      calls++;
      if (r.tokenSource === "identityProvider") {
        waited++;
        if (seen.has(scope)) waitedAfterFirst++;
      }
      seen.add(scope);
    }
  }
  const perKey = fake.requests.length / SCOPES.length;
  await fake.close();
  return { calls, waited, waitedAfterFirst, perKey, intervalMin: (24 * 60) / perKey };
}

// 2. Costs. Memory hits in rounds (this build with and without a tracer and meter, the other
// build if given); cold acquisitions answered by a stub fetch, with and without a tracer.
class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}
// The production set-up: spans batched to an exporter (here one that drops them).
const dropping = { export: (spans, done) => done({ code: 0 }), shutdown: async () => {}, forceFlush: async () => {} };
const tracer = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(dropping)] }).getTracer("bench");
const meter = new MeterProvider({ readers: [new Reader()] }).getMeter("bench");
const tokenBody = '{"token_type":"Bearer","expires_in":3599,"access_token":"eyJ0eXAiOiJKV1QifQ.e30.sig"}';
const stubFetch = async () => new Response(tokenBody, { status: 200, headers: { "content-type": "application/json" } });
const make = (Class, system = {}) => new Class({ auth: { clientId: "bench", tokenEndpoint: "https://idp.example/token", clientSecret: "s" }, system: { fetch: stubFetch, ...system } });

async function timeEach(n, fn) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t));
  }
  return samples;
}

async function rounds(variants, { rounds = 10, per = 5000, warm = 500 } = {}) {
  const samples = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    // Alternating order: whatever the previous variant left (garbage, JIT state) hits all alike.
    const order = Object.entries(variants);
    for (const [name, fn] of r % 2 ? order.reverse() : order) {
      await timeEach(warm, fn);
      samples[name].push(...(await timeEach(per, fn)));
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, median(v)]));
}

if (process.argv[2] === "--cold") {
  const app = process.argv[3] === "traced" ? make(ConfidentialClientApplication, { telemetry: { tracer, meter } }) : make(ConfidentialClientApplication);
  const once = () => app.acquireTokenByClientCredential({ scopes: ["s"], skipCache: true });
  await timeEach(2000, once);
  process.stdout.write(String(median(await timeEach(3000, once))));
  process.exit(0);
}

const rows = [];
const row = (what, value, note = "") => rows.push(`| ${what} | ${value} | ${note} |`);


const other = process.argv[2] ? (await import(process.argv[2])).ConfidentialClientApplication : undefined;
const scopes = { scopes: ["s"] };
const plain = make(ConfidentialClientApplication);
const traced = make(ConfidentialClientApplication, { telemetry: { tracer, meter } });
const variants = { plain: () => plain.acquireTokenByClientCredential(scopes), traced: () => traced.acquireTokenByClientCredential(scopes) };
if (other) {
  const before = make(other);
  variants.before = () => before.acquireTokenByClientCredential(scopes);
}
for (const f of Object.values(variants)) await f();
const hit = await rounds(variants);
row("memory hit, median", us(hit.plain), other ? `the build before issue 23: ${us(hit.before)}` : "");
row("memory hit with a tracer and meter configured, median", us(hit.traced));
const statsCost = median(await timeEach(20000, () => plain.stats()));
row("stats(), median", us(statsCost), "a call into the wasm and one object");

// Cold acquisitions, each variant in processes of its own, alternated: in one process the SDK's
// queued spans and their garbage land on whichever variant runs next, which measured +6 µs or
// +42 µs for the same span depending on the order alone.
const cold = { plain: [], traced: [] };
for (let r = 0; r < 10; r++) {
  for (const variant of r % 2 ? ["traced", "plain"] : ["plain", "traced"]) {
    const out = execFileSync(process.execPath, [fileURLToPath(import.meta.url), "--cold", variant]);
    cold[variant].push(Number(out.toString()));
  }
}
const coldPlain = median(cold.plain);
const coldTraced = median(cold.traced);
row("cold acquisition (stub fetch), median", us(coldPlain), "each variant in its own processes, alternated");
row("cold acquisition with a tracer and meter (one span, one histogram point), median", us(coldTraced), `${coldTraced >= coldPlain ? "+" : "−"}${us(Math.abs(coldTraced - coldPlain))}; BatchSpanProcessor`);
// What telemetry does per acquisition, alone: a span as telemetry.js starts and ends it, and one
// histogram point.
const histogram = meter.createHistogram("bench.duration");
const spanCost = median(
  await timeEach(20000, () => {
    const start = performance.now();
    const span = tracer.startSpan("entra-edge acquire", { kind: 2, startTime: start, attributes: { "entra_edge.token_source": "identityProvider", "entra_edge.attempts": 1, "server.address": "idp.example" } });
    span.end(performance.now());
    histogram.record(performance.now() - start, { "entra_edge.token_source": "identityProvider" });
  }),
);
row("one span and one histogram point alone (SDK 2.12.1), median", us(spanCost), "what telemetry adds per acquisition that leaves memory, without the garbage");

// Last: the day's apps (an injected clock) leave type feedback that slows the hit path measured
// above in this build only, not in the other build's copy of the code.
for (const [name, every] of [["refreshDue every 5 min", 5 * MINUTE], ["no refreshDue (refresh on request)", 0]]) {
  const d = await day(every);
  row(`simulated day, ${name}: calls that waited for a token request`, `${d.waited} of ${d.calls} (${d.waitedAfterFirst} after each key's first)`, "3 keys, each asked every 30 s, 1-hour tokens");
  row(`simulated day, ${name}: token requests per key`, `${d.perKey} (one per ${d.intervalMin.toFixed(1)} min)`);
}

console.log("| what | entra-edge | note |\n|---|---|---|");
console.log(rows.join("\n"));
