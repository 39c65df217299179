// The public API over the wasm core: results get Dates, rejections get error classes.
import { WasmClient, adminConsentUrl as wasmConsentUrl, scopeForResource as wasmScope } from "../pkg/entra_edge.js";
import { toError } from "./errors.js";
import { ensureWasm } from "./loader.js";

import { createAuthorizedFetch } from "./authorized-fetch.js";

export { AuthError, ClientConfigurationError, ConsentRequiredError, NetworkError, ServerError, ThrottledError } from "./errors.js";

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

  /**
   * A function with fetch's signature that sends the app's bearer token, re-acquires once on a
   * 401 (with the claims of a claims challenge), and throws ConsentRequiredError on Graph's
   * 403 Authorization_RequestDenied. Other responses come back untouched.
   */
  createAuthorizedFetch(options) {
    return createAuthorizedFetch(this, this.#core, options);
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
