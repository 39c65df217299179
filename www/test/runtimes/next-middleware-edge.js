// examples/next-middleware/middleware.js as Next.js calls it: middleware(request, event) for
// the paths its config.matcher names (a plain path here).
import { config, middleware } from "../../examples/next-middleware/middleware.js";

addEventListener("fetch", (event) => {
  const { pathname } = new URL(event.request.url);
  event.respondWith(pathname === config.matcher ? middleware(event.request, event) : new Response(null, { status: 404 }));
});
