// Puts a local http fake (e.g. startGraphFake().url) where Graph clients will send tokens.
//
// @microsoft/microsoft-graph-client attaches the bearer token only to https:// URLs whose host is
// a Graph host (graph.microsoft.com, ...) or in the client's `customHosts` (hostnames only; the
// port is ignored when matching). So:
// - Node: startHttpsProxy(fake.url) gives https://127.0.0.1:<port>; create the client with
//   { baseUrl: proxy.url, customHosts: new Set(["127.0.0.1"]) } in a child Node process started
//   with NODE_EXTRA_CA_CERTS=proxy.caFile (Node 20's global fetch trusts extra CAs only from that
//   variable, read at startup).
// - Miniflare: keep https://graph.microsoft.com in the Worker and pass
//   outboundService: forwardTo(fake.url) so Node answers the Worker's outgoing fetches.
import http from "node:http";
import https from "node:https";
import { closeServer, listen } from "./listen.mjs";
import { makeHttpsCertificate } from "./https.mjs";

// The hosts @microsoft/microsoft-graph-client 3.0.7 treats as Graph (lib/src/Constants.js GRAPH_URLS).
const GRAPH_HOSTS = new Set(["graph.microsoft.com", "graph.microsoft.us", "dod-graph.microsoft.us", "graph.microsoft.de", "microsoftgraph.chinacloudapi.cn", "canary.graph.microsoft.com"]);

/**
 * An HTTPS reverse proxy on 127.0.0.1 in front of an http:// server: same method, path, headers
 * (host rewritten) and body, the upstream's status, headers and body back.
 * @param {string} target e.g. "http://127.0.0.1:4711"
 * @returns {Promise<{ url: string, caFile: string, close: () => Promise<void> }>}
 *   url is "https://127.0.0.1:<port>" (no trailing slash).
 */
export async function startHttpsProxy(target) {
  const upstream = new URL(target);
  const tls = await makeHttpsCertificate();
  const server = https.createServer({ cert: tls.certPem, key: tls.keyPem }, (req, res) => {
    const forward = http.request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on("error", (e) => {
      if (res.headersSent) res.destroy(e);
      else res.writeHead(502, { "content-type": "text/plain" }).end(`upstream error: ${e.message}`);
    });
    req.pipe(forward);
  });
  const url = (await listen(server)).replace(/^http:/, "https:");
  return {
    url,
    caFile: tls.caFile,
    close: async () => {
      await closeServer(server);
      await tls.cleanup();
    },
  };
}

/**
 * A Miniflare `outboundService` function. Miniflare routes every fetch the Worker makes through
 * it (the token request to a loopback Entra fake too), so: URLs on Graph hosts go to `target`
 * with the same path and query; all others are fetched unchanged by Node.
 * @param {string} target e.g. "http://127.0.0.1:4711"
 * @param {object} [options]
 * @param {Request[]} [options.seen] receives a clone of each forwarded request
 * @returns {(request: Request) => Promise<Response>}
 */
export function forwardTo(target, { seen } = {}) {
  return async (request) => {
    const url = new URL(request.url);
    const forwarded = GRAPH_HOSTS.has(url.hostname);
    if (forwarded) seen?.push(request.clone());
    const headers = new Headers(request.headers);
    if (forwarded) headers.delete("host");
    const hasBody = !["GET", "HEAD"].includes(request.method);
    const answer = await fetch(forwarded ? new URL(url.pathname + url.search, target) : url, {
      method: request.method,
      headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      redirect: "manual",
    });
    // Node's fetch has already decoded the body: drop the headers that describe the raw bytes.
    const answerHeaders = new Headers(answer.headers);
    answerHeaders.delete("content-encoding");
    answerHeaders.delete("content-length");
    return new Response(answer.body, { status: answer.status, headers: answerHeaders });
  };
}
