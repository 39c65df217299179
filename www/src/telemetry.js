// OpenTelemetry for acquisitions that leave the memory level: one span each, a duration
// histogram, and the stats() counters as observable counters (read at collection, so they cost
// nothing per call). Nothing is imported: `system.telemetry` hands in a tracer and a meter, or
// `true` reads the global providers @opentelemetry/api 1.x registers (the object under
// Symbol.for("opentelemetry.js.api.1") that its trace and metrics APIs read). Without it, none
// of this runs. Every call into a tracer or meter is guarded: telemetry never fails an
// acquisition. Attributes hold a token source, a count, an error code and a host: never a
// token, secret, tenant or client id.
import { configError } from "./errors.js";

const API = Symbol.for("opentelemetry.js.api.1");
// @opentelemetry/api's SpanKind.CLIENT and SpanStatusCode.ERROR.
const CLIENT = 2;
const ERROR = 2;
const SCOPE = "entra-edge";

const isFunction = (o, name) => typeof o?.[name] === "function";

/** `system.telemetry` checked at construction: undefined when off. */
export function telemetryFor(option, stats) {
  if (option === undefined || option === false) return undefined;
  if (option === true) return new Telemetry(() => globalThis[API]?.trace?.getTracer(SCOPE), () => globalThis[API]?.metrics?.getMeter(SCOPE), stats);
  if (option === null || typeof option !== "object") throw configError("invalid_config", "system.telemetry must be true (the global OpenTelemetry providers) or { tracer, meter } from @opentelemetry/api");
  for (const name of Object.keys(option)) {
    if (name !== "tracer" && name !== "meter") throw configError("invalid_config", `unknown option system.telemetry.${name}: it takes tracer and meter`);
  }
  const { tracer, meter } = option;
  if (tracer !== undefined && !isFunction(tracer, "startSpan")) {
    throw configError("invalid_config", "system.telemetry.tracer must be an OpenTelemetry Tracer (trace.getTracer(\"entra-edge\")): it has no startSpan method");
  }
  if (meter !== undefined && !["createHistogram", "createObservableCounter", "addBatchObservableCallback"].every((m) => isFunction(meter, m))) {
    throw configError("invalid_config", "system.telemetry.meter must be an OpenTelemetry Meter (metrics.getMeter(\"entra-edge\")): it lacks createHistogram, createObservableCounter or addBatchObservableCallback");
  }
  return new Telemetry(() => tracer, () => meter, stats);
}

class Telemetry {
  #tracer;
  #meter;
  #stats;
  #histogram;
  // The meter the counters were registered with: with the global providers, it may come later.
  #registered;

  constructor(tracer, meter, stats) {
    this.#tracer = tracer;
    this.#meter = meter;
    this.#stats = stats;
  }

  /** One acquisition that left the memory level, started at `start` (performance.now()). */
  acquired(start, r) {
    this.#record(start, { "entra_edge.token_source": r.tokenSource, "entra_edge.attempts": r.attempts ?? 0, "server.address": r.server }, undefined);
  }

  /** One that failed: `e` is the core's error object. */
  failed(start, e) {
    if (e?.attempts === undefined) return; // refused before it left the memory level
    this.#record(start, { "entra_edge.attempts": e.attempts, "entra_edge.error_code": e.errorCode, "server.address": e.server }, e.errorCode);
  }

  #record(start, attributes, errorCode) {
    const end = performance.now();
    try {
      const span = this.#tracer()?.startSpan("entra-edge acquire", { kind: CLIENT, startTime: start, attributes });
      if (span) {
        if (errorCode !== undefined) span.setStatus({ code: ERROR, message: errorCode });
        span.end(end);
      }
    } catch {
      // A throwing tracer or exporter must not fail the acquisition.
    }
    try {
      const meter = this.#meter();
      if (meter === undefined) return;
      if (this.#registered !== meter) this.#register(meter);
      const labels = errorCode === undefined ? { "entra_edge.token_source": attributes["entra_edge.token_source"] } : { "entra_edge.error_code": errorCode };
      this.#histogram.record(end - start, labels);
    } catch {
      // Nor a throwing meter.
    }
  }

  #register(meter) {
    this.#registered = meter;
    this.#histogram = meter.createHistogram("entra_edge.acquire.duration", { unit: "ms", description: "Acquisitions that left the memory level" });
    const counter = (name, description) => meter.createObservableCounter(name, { description });
    const c = {
      results: counter("entra_edge.results", "Results by token source"),
      tokenRequests: counter("entra_edge.token_requests", "Token requests sent"),
      retries: counter("entra_edge.retries", "Token requests retried"),
      throttled: counter("entra_edge.throttled_refusals", "Token requests not sent inside a Retry-After window"),
      stale: counter("entra_edge.stale_serves", "Still-valid tokens served because the token request failed"),
      store: counter("entra_edge.store_failures", "Store operations that failed"),
      leases: counter("entra_edge.leases", "Fleet leases by outcome"),
      evictions: counter("entra_edge.memory_evictions", "Tokens evicted from the memory level"),
    };
    meter.addBatchObservableCallback((o) => {
      const s = this.#stats();
      for (const source of ["memory", "store", "identityProvider"]) o.observe(c.results, s.results[source], { "entra_edge.token_source": source });
      o.observe(c.tokenRequests, s.tokenRequests);
      o.observe(c.retries, s.retries);
      o.observe(c.throttled, s.throttledRefusals);
      o.observe(c.stale, s.staleServes);
      o.observe(c.store, s.storeReadFailures, { "entra_edge.operation": "read" });
      o.observe(c.store, s.storeWriteFailures, { "entra_edge.operation": "write" });
      for (const outcome of ["taken", "waited", "expired"]) o.observe(c.leases, s.leases[outcome], { "entra_edge.outcome": outcome });
      o.observe(c.evictions, s.memoryEvictions);
    }, Object.values(c));
  }
}
