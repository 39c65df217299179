// The Worker tests' handler (workers/token-worker.js) as an Edge Function: its
// fetch(request, env, ctx) with the bindings the host defines as WORKER_ENV, and the FetchEvent
// as ctx (it has waitUntil, as Workers' context does).
import worker from "../workers/token-worker.js";

addEventListener("fetch", (event) => event.respondWith(worker.fetch(event.request, globalThis.WORKER_ENV, event)));
