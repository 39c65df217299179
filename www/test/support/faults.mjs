// Every fault of the fault server with the outcome it must have, the same in Node and in
// workerd, for a client with SYSTEM below (a generic server: back-off floor 100 ms).
// timeoutMs: 2 s, not less: on a loaded 2-core machine reading the gzip bomb's first 64 KiB took
// over 500 ms, and the timeout (retried) then stood in for the outcome under test.
export const SYSTEM = { maxRetries: 1, timeoutMs: 2000 };

const gaveUp = /; gave up after 2 attempts in \d+\.\d s \(system\.maxRetries is 1\)$/;
const unusable = (what) => ({ name: "NetworkError", errorCode: "invalid_response", requests: 1, message: what });

export const EXPECTED = {
  // Retried after a back-off, then served.
  "503-then-200": { ok: true, requests: 2 },
  // Retry-After fits the deadline: waited out, then served.
  "429-after-1s-then-200": { ok: true, requests: 2 },
  // Retry-After does not fit the 30 s deadline: fails at once, nothing retried.
  "429-after-120s": {
    name: "ThrottledError", errorCode: "throttled", requests: 1, status: 429, retryAfterMs: [120_000, 120_000], isRetryable: true,
    message: /not retried: the server's Retry-After \(120\.0 s\) does not fit the \d+\.\d s left of system\.deadlineMs$/,
  },
  // The same as an HTTP date (second resolution, so 119 to 120 s).
  "429-until-date": { name: "ThrottledError", errorCode: "throttled", requests: 1, status: 429, retryAfterMs: [118_000, 120_000], isRetryable: true, message: /Retry-After/ },
  "500-forever": { name: "ServerError", errorCode: "server_error", requests: 2, status: 500, isRetryable: true, message: gaveUp },
  hang: { name: "NetworkError", errorCode: "timeout", requests: 2, message: /did not answer within 2000 ms \(system\.timeoutMs\); gave up after 2 attempts/ },
  reset: { name: "NetworkError", errorCode: "fetch_failed", requests: 2, message: gaveUp },
  truncated: { name: "NetworkError", errorCode: "fetch_failed", requests: 2, message: gaveUp },
  "10mb": { name: "NetworkError", errorCode: "response_too_large", requests: 1, message: /sent more than 65536 bytes; stopped reading \(HTTP 200\)$/ },
  "gzip-ok": { ok: true, requests: 1 },
  // Content-Length (the compressed size) is under the cap; the inflated body is read as a
  // stream and given up past 64 KiB, never held whole.
  "gzip-bomb": { name: "NetworkError", errorCode: "response_too_large", requests: 1, message: /sent more than 65536 bytes; stopped reading \(HTTP 200\)$/ },
  malformed: unusable(/HTTP 200 with a body that is not a JSON object$/),
  "no-access-token": unusable(/access_token is missing or not a non-empty string$/),
  "expires-negative": unusable(/expires_in must be a number of seconds from 0 to 315360000, got -5$/),
  "expires-zero": unusable(/expires_in must be a positive number of seconds$/),
  "expires-huge": unusable(/expires_in must be a number of seconds from 0 to 315360000, got 1000000000000000$/),
  "expires-not-a-number": unusable(/expires_in must be a number of seconds from 0 to 315360000, got "soon"$/),
  redirect: { name: "NetworkError", errorCode: "redirect_refused", requests: 1, message: /HTTP 302 \(a redirect\), which is not followed/ },
};

/** Checks an outcome (a result, or an error's plain fields) against EXPECTED[fault]. */
export function checkOutcome(assert, fault, outcome, requests) {
  const want = EXPECTED[fault];
  const label = `${fault}: ${JSON.stringify(outcome)}`;
  assert.equal(requests, want.requests, `${label}: token requests`);
  if (want.ok) {
    assert.equal(outcome.tokenSource, "identityProvider", label);
    assert.match(outcome.accessToken, /^tok-/, label);
    return;
  }
  assert.equal(outcome.name, want.name, label);
  assert.equal(outcome.errorCode, want.errorCode, label);
  assert.match(outcome.message, want.message, label);
  if (want.status) assert.equal(outcome.status, want.status, label);
  if (want.isRetryable !== undefined) assert.equal(outcome.isRetryable, want.isRetryable, label);
  if (want.retryAfterMs) {
    const [lo, hi] = want.retryAfterMs;
    assert.ok(outcome.retryAfterMs >= lo && outcome.retryAfterMs <= hi, `${label}: retryAfterMs`);
  }
}
