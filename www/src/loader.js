// Where the compiled wasm module comes from: each runtime entry registers a loader at import
// (no work is done then); the module is instantiated on first use.
import { initSync } from "../pkg/entra_edge.js";

let loadModule = () => {
  throw new Error("entra-edge: no wasm loader registered; import the package, not its src/ files");
};
let ready = false;

export function setModuleLoader(loader) {
  loadModule = loader;
}

export function ensureWasm() {
  if (!ready) {
    initSync({ module: loadModule() });
    ready = true;
  }
}
