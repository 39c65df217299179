// @azure/identity's ChainedTokenCredential and getBearerTokenProvider, in every runtime: plain
// TokenCredential composition, no I/O of their own.
import { configError, CredentialUnavailableError } from "./errors.js";

/** `chain[REMEMBER](name)`: keep the first credential that produced a token (DefaultAzureCredential). */
export const REMEMBER = Symbol("entra-edge remember");

function isUnavailable(e) {
  // By name too: a credential from @azure/identity itself throws its own class.
  return e instanceof CredentialUnavailableError || e?.name === "CredentialUnavailableError";
}

/**
 * Tries each credential in order: one that is unavailable here (CredentialUnavailableError)
 * passes to the next; any other failure is the answer. When all are unavailable, rejects with
 * CredentialUnavailableError listing each one and why.
 */
export class ChainedTokenCredential {
  #sources;
  #name = "ChainedTokenCredential";
  #remember = false;
  #selected = null;

  constructor(...sources) {
    if (sources.length === 0) throw configError("invalid_config", `${this.#name}: pass at least one credential`);
    sources.forEach((s, i) => {
      if (typeof s?.getToken !== "function") throw configError("invalid_config", `${this.#name}: argument ${i} is not a TokenCredential (it has no getToken)`);
    });
    this.#sources = sources;
  }

  [REMEMBER](name) {
    this.#name = name;
    this.#remember = true;
  }

  async getToken(scopes, options) {
    if (this.#selected) return this.#selected.getToken(scopes, options);
    const reasons = [];
    for (const source of this.#sources) {
      let token;
      try {
        token = await source.getToken(scopes, options);
      } catch (e) {
        if (!isUnavailable(e)) throw e;
        const label = source.constructor?.name ?? "credential";
        reasons.push(e.message?.startsWith(label) ? e.message : `${label}: ${e.message}`);
        continue;
      }
      if (this.#remember) this.#selected = source;
      return token;
    }
    throw new CredentialUnavailableError({ message: `${this.#name}: no credential could produce a token. ${reasons.join(". ")}` });
  }
}

/**
 * `() => Promise<string>`: the bearer token for `scopes` from `credential`, each call asking the
 * credential (whose memory cache answers until the token is due for refresh).
 */
export function getBearerTokenProvider(credential, scopes, options = {}) {
  if (typeof credential?.getToken !== "function") throw configError("invalid_config", "getBearerTokenProvider: credential must be a TokenCredential (it has no getToken)");
  const list = typeof scopes === "string" ? [scopes] : scopes;
  if (!Array.isArray(list) || list.length === 0) throw configError("empty_scopes", "getBearerTokenProvider: scopes must be a scope or an array of scopes, e.g. \"https://cognitiveservices.azure.com/.default\"");
  return async () => {
    const token = await credential.getToken(list, options);
    if (!token?.token) throw new CredentialUnavailableError({ message: "getBearerTokenProvider: the credential returned no token" });
    return token.token;
  };
}
