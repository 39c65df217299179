// A token endpoint that misbehaves on purpose. POST /<run>/<fault>/token answers as the fault
// says; <run> scopes the attempt counters, so each test sees its own "first" request. A request
// for any other path is recorded as a leak (a followed redirect would land there).
import http from "node:http";
import { randomUUID } from "node:crypto";
import { gzipSync } from "node:zlib";
import { closeServer, listen, respond } from "./listen.mjs";

const json = (res, status, body, headers = {}) => respond(res, { status, headers: { "content-type": "application/json", ...headers }, body });
const success = (res, extra) => json(res, 200, { access_token: `tok-${randomUUID()}`, token_type: "Bearer", expires_in: 3600, ...extra });

// 61 KB of gzip that inflates to 60 MiB: Content-Length is the compressed size, under the cap.
let bomb;
const gzipBomb = () => (bomb ??= gzipSync(Buffer.alloc(60 * 1024 * 1024, 0x20), { level: 9 }));

// fault -> (req, res, attempt) where attempt counts from 1 per run.
const FAULTS = {
  ok: (req, res) => success(res),
  "503-then-200": (req, res, n) => (n === 1 ? json(res, 503, "Service Unavailable", { "content-type": "text/plain" }) : success(res)),
  "429-after-1s-then-200": (req, res, n) => (n === 1 ? json(res, 429, "", { "retry-after": "1" }) : success(res)),
  "429-after-120s": (req, res) => json(res, 429, { error: "throttled" }, { "retry-after": "120" }),
  "429-until-date": (req, res) => json(res, 429, "", { "retry-after": new Date(Date.now() + 120_000).toUTCString() }),
  "500-forever": (req, res) => json(res, 500, { error: "server_error", error_description: "always broken" }),
  // Never answers; the client's timeout must end the attempt. Closed with the server.
  hang: () => {},
  reset: (req) => req.socket.destroy(),
  // Promises 400 bytes, sends 20, then drops the connection.
  truncated: (req, res) => {
    res.writeHead(200, { "content-type": "application/json", "content-length": "400" });
    res.write('{"access_token":"tok');
    setImmediate(() => res.destroy());
  },
  // 10 MB of JSON with no content-length: the client must stop reading past its cap.
  "10mb": (req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < 10 * 1024 * 1024) {
        sent += chunk.length;
        if (!res.write(chunk)) return res.once("drain", pump);
      }
      res.end("{}");
    };
    res.on("error", () => {});
    pump();
  },
  // A token response compressed as servers do; fetch inflates it.
  "gzip-ok": (req, res) => {
    const body = gzipSync(JSON.stringify({ access_token: `tok-${randomUUID()}`, token_type: "Bearer", expires_in: 3600 }));
    res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(body.length) });
    res.end(body);
  },
  "gzip-bomb": (req, res) => {
    const body = gzipBomb();
    res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip", "content-length": String(body.length) });
    res.on("error", () => {});
    res.end(body);
  },
  malformed: (req, res) => json(res, 200, '{"access_token":"tok-x","token_type":"Bearer","expires_in":36'),
  "no-access-token": (req, res) => json(res, 200, { token_type: "Bearer", expires_in: 3600 }),
  "expires-negative": (req, res) => success(res, { expires_in: -5 }),
  "expires-zero": (req, res) => success(res, { expires_in: 0 }),
  "expires-huge": (req, res) => success(res, { expires_in: 1e15 }),
  "expires-not-a-number": (req, res) => success(res, { expires_in: "soon" }),
  // Serves once, then drops every connection: an outage after a token was cached.
  "200-then-reset": (req, res, n) => (n === 1 ? success(res) : req.socket.destroy()),
  redirect: (req, res) => {
    res.writeHead(302, { location: `http://${req.headers.host}/leak/token` });
    res.end();
  },
};

export async function startFaultServer() {
  const counts = new Map();
  const requests = []; // [run, fault]
  const leaks = [];
  const server = http.createServer((req, res) => {
    const [, run, fault, tail] = req.url.split("/");
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.method !== "POST" || tail !== "token" || !(fault in FAULTS)) {
        leaks.push({ url: req.url, body });
        return json(res, 404, { error: "not_found" });
      }
      const key = `${run}/${fault}`;
      const n = (counts.get(key) ?? 0) + 1;
      counts.set(key, n);
      requests.push([run, fault]);
      FAULTS[fault](req, res, n);
    });
  });
  const url = await listen(server);
  return {
    url,
    /** The token endpoint for `fault`, counted under `run`. */
    endpoint: (run, fault) => `${url}/${run}/${fault}/token`,
    /** Token requests `run` made for `fault`. */
    count: (run, fault) => counts.get(`${run}/${fault}`) ?? 0,
    requests,
    leaks,
    close: () => closeServer(server),
  };
}
