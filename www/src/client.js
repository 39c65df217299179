// The public API over the wasm core. Runtime entries (entry-*.js) register how to obtain the
// compiled wasm module; it is instantiated on first use, so importing does no work at all.
import { WasmClient, adminConsentUrl as wasmConsentUrl, initSync, scopeForResource as wasmScope } from "../pkg/entra_edge.js";
import { toError } from "./errors.js";

export { AuthError, ClientConfigurationError, NetworkError, ServerError, ThrottledError } from "./errors.js";

let loadModule = () => {
  throw new Error("entra-edge: no wasm loader registered; import the package entry, not src/client.js");
};
let ready = false;

export function setModuleLoader(loader) {
  loadModule = loader;
}

function ensureWasm() {
  if (!ready) {
    initSync({ module: loadModule() });
    ready = true;
  }
}

function toDate(ms) {
  return ms == null ? null : new Date(ms);
}

function toResult(r) {
  return { ...r, expiresOn: new Date(r.expiresOn), extExpiresOn: toDate(r.extExpiresOn), refreshOn: toDate(r.refreshOn) };
}

function rethrow(e) {
  throw toError(e);
}

export class ConfidentialClientApplication {
  #core;

  constructor(configuration) {
    ensureWasm();
    try {
      this.#core = new WasmClient(configuration);
    } catch (e) {
      rethrow(e);
    }
  }

  async acquireTokenByClientCredential(request) {
    return this.#core.acquire(request).then(toResult, rethrow);
  }

  /** MSAL.NET / MSAL Python name for the same call. */
  acquireTokenForClient(request) {
    return this.acquireTokenByClientCredential(request);
  }

  async clearCache() {
    return this.#core.clearCache().catch(rethrow);
  }
}

export function scopeForResource(resource) {
  ensureWasm();
  try {
    return wasmScope(resource);
  } catch (e) {
    rethrow(e);
  }
}

export function adminConsentUrl(options) {
  ensureWasm();
  try {
    return wasmConsentUrl(options ?? {});
  } catch (e) {
    rethrow(e);
  }
}
