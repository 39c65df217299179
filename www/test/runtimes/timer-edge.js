// workers/timer-worker.js as an Edge Function: system.refreshTimer refused in the Edge runtime.
import worker from "../workers/timer-worker.js";

addEventListener("fetch", (event) => event.respondWith(worker.fetch()));
