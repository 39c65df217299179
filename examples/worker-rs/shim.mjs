// A Rust Worker's entry (scripts/build-worker-rs.sh copies it beside the wasm-bindgen output):
// instantiates the glue from the imported module (workerd forbids compiling wasm at run time)
// and hands fetch events to the Rust handler.
import { initSync, fetch as handle } from "./worker.js";
import module from "./worker_bg.wasm";

initSync({ module });

export default {
  fetch: (request, env, ctx) => handle(request, env, ctx),
};
