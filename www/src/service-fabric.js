// Service Fabric's managed-identity endpoint (Node only) serves a certificate of its cluster,
// not one a public CA signed; the platform names it by its SHA-1 thumbprint in
// IDENTITY_SERVER_THUMBPRINT. fetch cannot check that, so this is a fetch-shaped function over
// node:https whose TLS connection is handed to the request only once the peer certificate's
// thumbprint matches: with another certificate not one byte of the request (and so not the
// `secret` header) is written. Stricter than MSAL.NET, which also takes a certificate the
// machine's CAs trust; msal-node and @azure/identity do not check the thumbprint at all.
// node:https, node:net and node:tls come with getBuiltinModule on first use, not as imports:
// importing them cost every Node daemon about 15 ms of startup (BENCHMARKS.md, issue 24).
const builtin = (name) => process.getBuiltinModule(name);

// The core reads at most 64 KiB of an answer; a longer one is cut off here.
const MAX_BODY_BYTES = 64 * 1024 + 1;

/** The thumbprint as the core accepts it: hex, colons and spaces removed, uppercase. */
const normalize = (thumbprint) => String(thumbprint).replace(/[:\s]/g, "").toUpperCase();

function mismatch() {
  const e = new Error("Service Fabric's endpoint presented a certificate whose SHA-1 thumbprint is not IDENTITY_SERVER_THUMBPRINT: the connection was closed before anything was sent");
  e.code = "ERR_SERVICE_FABRIC_THUMBPRINT";
  return e;
}

/** A TLS connection to `options.host`, given to `done` only if the certificate is `expected`. */
function pinnedConnection(expected, options, done) {
  let settled = false;
  const settle = (err, socket) => {
    if (settled) return;
    settled = true;
    done(err, socket);
  };
  const host = options.host ?? "localhost";
  // The chain is not the check here (a cluster certificate), the thumbprint is.
  const { isIP } = builtin("node:net");
  const socket = builtin("node:tls").connect({ host, port: options.port, servername: isIP(host) ? undefined : host, rejectUnauthorized: false });
  socket.once("secureConnect", () => {
    const fingerprint = socket.getPeerCertificate()?.fingerprint;
    if (typeof fingerprint !== "string" || normalize(fingerprint) !== expected) {
      socket.destroy();
      return settle(mismatch());
    }
    settle(null, socket);
  });
  socket.once("error", (e) => settle(e));
}

/**
 * Keeps connections open between token requests, as fetch does: each new one is checked before
 * any request is written on it, a checked one stays checked. Idle ones do not hold the process.
 */
let PinnedAgent;
function pinnedAgent(expected) {
  PinnedAgent ??= class extends builtin("node:https").Agent {
    #expected;
    constructor(thumbprint) {
      super({ keepAlive: true, maxSockets: 8 });
      this.#expected = thumbprint;
    }
    createConnection(options, done) {
      pinnedConnection(this.#expected, options, done);
    }
  };
  return new PinnedAgent(expected);
}

/** A `fetch(url, init)` for Service Fabric's endpoint, pinned to `thumbprint`. */
export function pinnedFetch(thumbprint) {
  const agent = pinnedAgent(normalize(thumbprint));
  const https = builtin("node:https");
  return (url, init = {}) =>
    new Promise((resolve, reject) => {
      const target = new URL(url);
      if (target.protocol !== "https:") return reject(new TypeError("Service Fabric's endpoint must be https"));
      const signal = init.signal;
      if (signal?.aborted) return reject(signal.reason);
      const req = https.request(target, { method: init.method ?? "GET", headers: init.headers ?? {}, agent });
      const abort = () => req.destroy(signal.reason);
      signal?.addEventListener("abort", abort, { once: true });
      req.once("error", (e) => {
        signal?.removeEventListener("abort", abort);
        reject(e);
      });
      req.once("response", (res) => {
        const chunks = [];
        let size = 0;
        res.on("data", (chunk) => {
          if (size >= MAX_BODY_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_BODY_BYTES) res.destroy();
        });
        const finish = () => {
          signal?.removeEventListener("abort", abort);
          const headers = new Headers();
          for (const [name, value] of Object.entries(res.headers)) headers.set(name, Array.isArray(value) ? value.join(", ") : value);
          const empty = res.statusCode === 204 || res.statusCode === 304;
          resolve(new Response(empty ? null : Buffer.concat(chunks), { status: res.statusCode, headers }));
        };
        res.once("end", finish);
        res.once("close", () => (size >= MAX_BODY_BYTES ? finish() : undefined));
        res.once("error", reject);
      });
      if (init.body) req.write(init.body);
      req.end();
    });
}
