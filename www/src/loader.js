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
    initSync({ module: ofThisRealm(loadModule()) });
    ready = true;
  }
}

/**
 * The glue asks `module instanceof WebAssembly.Module` and otherwise treats the module as bytes.
 * Next.js's Edge sandbox compiles `?module` imports in the host realm and hands them in as
 * globals: a real module that fails that test. Such a module instantiates in any realm, so it
 * gets this realm's prototype; bytes and this realm's modules pass through.
 */
function ofThisRealm(module) {
  if (module instanceof WebAssembly.Module || ArrayBuffer.isView(module) || module instanceof ArrayBuffer) return module;
  // Throws a TypeError for anything that is not a compiled module, of whichever realm.
  WebAssembly.Module.exports(module);
  return Object.setPrototypeOf(module, WebAssembly.Module.prototype);
}
