// The Edge runtime: probe.mjs behind a fetch handler, as Vercel runs an Edge Function. The
// configuration comes in the request body.
import { probe } from "./probe.mjs";

addEventListener("fetch", (event) => {
  event.respondWith(
    event.request.json().then(probe).then(
      (report) => Response.json(report),
      (e) => Response.json({ error: String(e?.stack ?? e) }, { status: 500 }),
    ),
  );
});
