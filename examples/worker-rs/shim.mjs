// The Worker's entry: instantiates the wasm-bindgen glue from the imported module (workerd
// forbids compiling wasm at run time) and hands fetch events to the Rust handler.
import { initSync, fetch as handle } from "./build/entra_edge_worker_example.js";
import module from "./build/entra_edge_worker_example_bg.wasm";

initSync({ module });

export default {
  fetch: (request, env, ctx) => handle(request, env, ctx),
};
