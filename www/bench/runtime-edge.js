// The Edge runtime: bench/runtime-probe.mjs behind a fetch handler; the configuration comes in
// the request body.
import { benchRuntime } from "./runtime-probe.mjs";

addEventListener("fetch", (event) => event.respondWith(event.request.json().then(benchRuntime).then((r) => Response.json(r))));
