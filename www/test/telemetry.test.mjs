// Issue 23: OpenTelemetry. One span per acquisition that leaves the memory level and the
// entra_edge.* metrics, read with the SDK's in-memory span exporter and a collecting metric
// reader (@opentelemetry/sdk-trace-base and sdk-metrics 2.12.1 over @opentelemetry/api 1.9.0), in
// Node and in workerd; a throwing tracer, meter or exporter never fails an acquisition.
// Node only: it hosts workerd (Miniflare) for the Worker half.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { metrics, trace } from "@opentelemetry/api";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { ClientConfigurationError, ConfidentialClientApplication } from "entra-edge";
import { CLIENT_ID, SECRET, TENANT, startEntraFake } from "./support/entra-fake.mjs";
import { FakeKv } from "./support/fake-kv.mjs";
import { bundleWorker, startWorker } from "./support/workerd.mjs";

const GRAPH = ["https://graph.microsoft.com/.default"];
const SPAN_KIND_CLIENT = 2;
const STATUS_ERROR = 2;

class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

/** A tracer and meter over in-memory exporters, and readers of what they recorded. */
function sdk() {
  const exporter = new InMemorySpanExporter();
  const reader = new Reader();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return {
    tracerProvider,
    meterProvider,
    tracer: tracerProvider.getTracer("test"),
    meter: meterProvider.getMeter("test"),
    spans: () => exporter.getFinishedSpans(),
    async metrics() {
      const { resourceMetrics } = await reader.collect();
      const out = {};
      for (const scope of resourceMetrics.scopeMetrics) for (const m of scope.metrics) out[m.descriptor.name] = m.dataPoints;
      return out;
    },
  };
}

let fake;
before(async () => (fake = await startEntraFake()));
after(() => fake.close());

function app(system, cache = {}, clientSecret = SECRET) {
  return new ConfidentialClientApplication({ auth: { clientId: CLIENT_ID, authority: `${fake.url}/${TENANT}`, clientSecret }, cache, system });
}

/** No attribute value holds a token, secret, tenant or client id. */
function assertClean(attributes, token) {
  const text = JSON.stringify(attributes);
  for (const secret of [TENANT, CLIENT_ID, SECRET, token].filter(Boolean)) assert.ok(!text.includes(secret), `${secret} in ${text}`);
}

test("one span per acquisition that leaves the memory level: source, attempts, server; errors with their code", async () => {
  const o = sdk();
  const kv = new FakeKv();
  const a = app({ telemetry: { tracer: o.tracer, meter: o.meter } }, { store: kv });
  const first = await a.acquireTokenByClientCredential({ scopes: GRAPH });
  await a.acquireTokenByClientCredential({ scopes: GRAPH }); // the JS memo
  await a.acquireTokenByClientCredential({ scopes: GRAPH, correlationId: "c" }); // the core's memory
  let spans = o.spans();
  assert.equal(spans.length, 1, "memory hits make no span");
  assert.equal(spans[0].name, "entra-edge acquire");
  assert.equal(spans[0].kind, SPAN_KIND_CLIENT);
  assert.deepEqual(spans[0].attributes, { "entra_edge.token_source": "identityProvider", "entra_edge.attempts": 1, "server.address": "127.0.0.1" });
  assert.notEqual(spans[0].status.code, STATUS_ERROR);
  assertClean(spans[0].attributes, first.accessToken);

  await kv.settled();
  const b = app({ telemetry: { tracer: o.tracer } }, { store: kv });
  assert.equal((await b.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "store");
  spans = o.spans();
  assert.deepEqual(spans[1].attributes, { "entra_edge.token_source": "store", "entra_edge.attempts": 0, "server.address": "127.0.0.1" });

  const wrong = app({ telemetry: { tracer: o.tracer }, maxRetries: 0 }, {}, "not-the-secret");
  await assert.rejects(wrong.acquireTokenByClientCredential({ scopes: GRAPH }), { errorCode: "invalid_client" });
  await assert.rejects(wrong.acquireTokenByClientCredential({ scopes: ["User.Read"] }), ClientConfigurationError);
  spans = o.spans();
  assert.equal(spans.length, 3, "a request refused before it left memory makes no span");
  assert.equal(spans[2].status.code, STATUS_ERROR);
  assert.deepEqual(spans[2].attributes, { "entra_edge.attempts": 1, "entra_edge.error_code": "invalid_client", "server.address": "127.0.0.1" });
  assertClean(spans[2].attributes, "not-the-secret");
});

test("the stats counters are entra_edge.* metrics, with a duration histogram for acquisitions that left memory", async () => {
  const o = sdk();
  const a = app({ telemetry: { meter: o.meter } });
  await a.acquireTokenByClientCredential({ scopes: GRAPH });
  await a.acquireTokenByClientCredential({ scopes: GRAPH });
  await a.acquireTokenByClientCredential({ scopes: ["https://vault.azure.net/.default"] });
  const m = await o.metrics();
  const value = (name, attributes = {}) => m[name].find((p) => JSON.stringify(p.attributes) === JSON.stringify(attributes))?.value;
  assert.equal(value("entra_edge.results", { "entra_edge.token_source": "identityProvider" }), 2);
  assert.equal(value("entra_edge.results", { "entra_edge.token_source": "memory" }), 1);
  assert.equal(value("entra_edge.results", { "entra_edge.token_source": "store" }), 0);
  assert.equal(value("entra_edge.token_requests"), 2);
  for (const name of ["entra_edge.retries", "entra_edge.throttled_refusals", "entra_edge.stale_serves", "entra_edge.memory_evictions"]) assert.equal(value(name), 0, name);
  assert.equal(value("entra_edge.store_failures", { "entra_edge.operation": "write" }), 0);
  assert.equal(value("entra_edge.leases", { "entra_edge.outcome": "waited" }), 0);
  const [histogram] = m["entra_edge.acquire.duration"];
  assert.equal(histogram.value.count, 2);
  assert.ok(histogram.value.sum > 0);
  assert.deepEqual(histogram.attributes, { "entra_edge.token_source": "identityProvider" });
  assertClean(m);
});

test("system.telemetry: true uses the global providers registered through @opentelemetry/api", async () => {
  const o = sdk();
  assert.ok(trace.setGlobalTracerProvider(o.tracerProvider));
  assert.ok(metrics.setGlobalMeterProvider(o.meterProvider));
  try {
    const a = app({ telemetry: true });
    await a.acquireTokenByClientCredential({ scopes: GRAPH });
    assert.equal(o.spans().length, 1);
    assert.equal((await o.metrics())["entra_edge.token_requests"][0].value, 1);
  } finally {
    trace.disable();
    metrics.disable();
  }
});

test("a throwing tracer, meter or exporter, or a hung exporter, never fails or holds an acquisition", async () => {
  const boom = () => {
    throw new Error("telemetry down");
  };
  const throwingExporter = new SimpleSpanProcessor({ export: boom, shutdown: async () => {} });
  const tracers = [
    { startSpan: boom },
    { startSpan: () => ({ setStatus: boom, end: boom }) },
    new BasicTracerProvider({ spanProcessors: [throwingExporter] }).getTracer("t"),
  ];
  // An exporter that never answers: spans pile up in the SDK, acquisitions do not wait.
  const hung = new SimpleSpanProcessor({ export: () => {}, shutdown: async () => {} });
  tracers.push(new BasicTracerProvider({ spanProcessors: [hung] }).getTracer("t"));
  const meter = { createHistogram: boom, createObservableCounter: boom, addBatchObservableCallback: boom };
  for (const tracer of tracers) {
    const a = app({ telemetry: { tracer, meter } });
    assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "identityProvider");
    const wrong = app({ telemetry: { tracer, meter }, maxRetries: 0 }, {}, "nope");
    await assert.rejects(wrong.acquireTokenByClientCredential({ scopes: GRAPH }), { errorCode: "invalid_client" });
  }
  // A meter whose observable callback throws at collection: the reader reports it, nothing else.
  const o = sdk();
  const a = app({ telemetry: { meter: o.meter } });
  await a.acquireTokenByClientCredential({ scopes: GRAPH });
  a.stats = boom;
  await o.metrics();
  assert.equal((await a.acquireTokenByClientCredential({ scopes: GRAPH })).tokenSource, "memory");
});

test("a telemetry option that is not a tracer or meter is a configuration error naming it", () => {
  for (const [telemetry, text] of [
    ["yes", "system.telemetry must be true"],
    [{ tracer: {} }, "system.telemetry.tracer must be an OpenTelemetry Tracer"],
    [{ meter: { createHistogram() {} } }, "system.telemetry.meter must be an OpenTelemetry Meter"],
    [{ spans: {} }, "unknown option system.telemetry.spans"],
  ]) {
    assert.throws(() => app({ telemetry }), (e) => e instanceof ClientConfigurationError && e.message.includes(text), text);
  }
});

test("in workerd: spans and metrics through the SDK's in-memory exporters", async () => {
  const bundle = await bundleWorker(fileURLToPath(new URL("./workers/telemetry-worker.js", import.meta.url)), { platform: "browser" });
  const mf = startWorker(bundle, { bindings: { CLIENT_ID, TENANT_ID: TENANT, CLIENT_SECRET: SECRET, AUTHORITY_HOST: fake.url } });
  try {
    const res = await mf.dispatchFetch("http://worker/?n=3");
    assert.equal(res.status, 200, await res.clone().text());
    const { sources, spans, metrics: m } = await res.json();
    assert.deepEqual(sources, ["identityProvider", "memory", "memory"]);
    assert.equal(spans.length, 1);
    assert.deepEqual(spans[0].attributes, { "entra_edge.token_source": "identityProvider", "entra_edge.attempts": 1, "server.address": "127.0.0.1" });
    assert.deepEqual(m["entra_edge.token_requests"], [{ attributes: {}, value: 1 }]);
    assert.equal(m["entra_edge.results"].find((p) => p.attributes["entra_edge.token_source"] === "memory").value, 2);
    assert.equal(m["entra_edge.acquire.duration"][0].value.count, 1);
  } finally {
    await mf.dispose();
  }
});
