// A Worker with OpenTelemetry's SDK and in-memory exporters, for the telemetry test in workerd:
// GET /?n=N acquires N times and answers the spans and metrics recorded.
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base";
import { MeterProvider, MetricReader } from "@opentelemetry/sdk-metrics";
import { ConfidentialClientApplication } from "entra-edge";

class Reader extends MetricReader {
  async onForceFlush() {}
  async onShutdown() {}
}

const spans = new InMemorySpanExporter();
const reader = new Reader();
const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] }).getTracer("test");
const meter = new MeterProvider({ readers: [reader] }).getMeter("test");

let app;

export default {
  async fetch(request, env) {
    app ??= new ConfidentialClientApplication({
      auth: { clientId: env.CLIENT_ID, clientSecret: env.CLIENT_SECRET, authority: `${env.AUTHORITY_HOST}/${env.TENANT_ID}` },
      system: { telemetry: { tracer, meter } },
    });
    const n = Number(new URL(request.url).searchParams.get("n") ?? 1);
    const sources = [];
    for (let i = 0; i < n; i++) sources.push((await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"] })).tokenSource);
    const { resourceMetrics } = await reader.collect();
    const metrics = {};
    for (const scope of resourceMetrics.scopeMetrics) {
      for (const m of scope.metrics) metrics[m.descriptor.name] = m.dataPoints.map((p) => ({ attributes: p.attributes, value: p.value }));
    }
    return Response.json({
      sources,
      spans: spans.getFinishedSpans().map((s) => ({ name: s.name, kind: s.kind, attributes: s.attributes, status: s.status })),
      metrics,
    });
  },
};
