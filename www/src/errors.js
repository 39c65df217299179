// Error classes of the public API. The wasm core rejects with tagged plain objects; `toError`
// turns them into these classes so `instanceof` and the documented fields work in every runtime.

export class AuthError extends Error {
  constructor(payload) {
    super(payload.message);
    this.name = payload.name ?? "AuthError";
    this.errorCode = payload.errorCode;
    // msal-node's name for the message; kept so migrated daemons keep logging it.
    this.errorMessage = payload.message;
    this.correlationId = payload.correlationId ?? null;
  }
}

export class ClientConfigurationError extends AuthError {}

/** A configuration refusal raised by the JavaScript layer itself. */
export function configError(errorCode, message) {
  return new ClientConfigurationError({ name: "ClientConfigurationError", errorCode, message });
}

export class ServerError extends AuthError {
  constructor(payload) {
    super(payload);
    this.status = payload.status;
    this.error = payload.error;
    this.errorDescription = payload.errorDescription;
    this.errorCodes = payload.errorCodes ?? [];
    this.traceId = payload.traceId;
    this.timestamp = payload.timestamp;
    this.errorUri = payload.errorUri;
    this.isRetryable = payload.isRetryable;
    this.retryAfterMs = payload.retryAfterMs;
    this.hint = payload.hint;
  }
}

export class ThrottledError extends ServerError {}

export class NetworkError extends AuthError {
  constructor(payload) {
    super(payload);
    if (payload.cause !== undefined) this.cause = payload.cause;
  }
}

/** Graph answered 403 Authorization_RequestDenied: the app lacks admin consent for the call. */
export class ConsentRequiredError extends AuthError {
  constructor({ adminConsentUrl, url }) {
    const fix = adminConsentUrl
      ? `an administrator of the tenant must grant admin consent: open ${adminConsentUrl}`
      : "grant the app the permission on the authorization server";
    super({
      name: "ConsentRequiredError",
      errorCode: "consent_required",
      message: `${url} answered 403 Authorization_RequestDenied: the app has not been granted the application permission this call needs. Add it under API permissions in the app registration, then ${fix}`,
    });
    this.status = 403;
    this.adminConsentUrl = adminConsentUrl;
  }
}

/**
 * This credential cannot produce a token here (no managed identity endpoint, `az` not installed
 * or not logged in, variables not set): a credential chain moves on to its next credential.
 */
export class CredentialUnavailableError extends AuthError {
  constructor(payload) {
    super({ name: "CredentialUnavailableError", errorCode: "credential_unavailable", ...payload });
    if (payload.cause !== undefined) this.cause = payload.cause;
  }
}

/** A CredentialUnavailableError raised by the JavaScript layer itself. */
export function unavailable(message) {
  return new CredentialUnavailableError({ message });
}

const CLASSES = { ClientConfigurationError, ServerError, ThrottledError, NetworkError, CredentialUnavailableError };

/** Turns a tagged payload from wasm into its class; anything else passes through untouched. */
export function toError(e) {
  if (e && typeof e === "object" && e.__entraEdgeError === true) {
    const Class = CLASSES[e.name] ?? AuthError;
    return new Class(e);
  }
  return e;
}
