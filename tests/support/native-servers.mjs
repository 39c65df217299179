// The local servers the native client's tests (tests/native_client.rs) run against: the Entra
// fake and oidc-provider from www/test/support, started as they are for the JS tests, plus a
// small control endpoint so the Rust test can count and steer token requests.
// Prints one JSON line with the URLs and credentials, then serves until stdin closes.
//   node tests/support/native-servers.mjs [--https]
// --https also serves the Entra fake over TLS (a loopback proxy with a throwaway test CA), for
// clients that refuse http authorities (azure_identity): adds entraHttps and caFile.
//   control: GET /count, POST /hold, POST /release, POST /throttle/<seconds>, POST /hang,
//            POST /drop, POST /reset
import http from "node:http";
import https from "node:https";
import { readFile } from "node:fs/promises";
import { CLIENT_ID, SECRET, TENANT, startEntraFake, throttled } from "../../www/test/support/entra-fake.mjs";
import { SECRET as IDP_SECRET, startIdp } from "../../www/test/support/idp.mjs";
import { makeHttpsCertificate } from "../../www/test/support/https.mjs";
import { closeServer, listen } from "../../www/test/support/listen.mjs";

const keys = new URL("../fixtures/keys/", import.meta.url);
const certificate = await readFile(new URL("rsa2048.cert.pem", keys), "utf8");
const entra = await startEntraFake({ apps: [{ tenant: TENANT, clientId: CLIENT_ID, secret: SECRET, certificates: [certificate] }] });
const idp = await startIdp();

let release = () => {};
const control = http.createServer((req, res) => {
  const ok = (body = {}) => res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
  const route = `${req.method} ${req.url}`;
  if (route === "GET /count") return ok({ entra: entra.requests.length, idp: idp.requests.length });
  if (route === "POST /hold") {
    const held = new Promise((r) => (release = r));
    entra.respondWith(async () => (await held, undefined));
    return ok();
  }
  if (route === "POST /release") return (release(), ok());
  const throttle = /^POST \/throttle\/(\d+)$/.exec(route);
  if (throttle) return (entra.respondWith(() => throttled(Number(throttle[1]))), ok());
  if (route === "POST /hang") return (entra.respondWith(() => new Promise(() => {})), ok());
  if (route === "POST /drop") return (entra.respondWith(() => ({ destroy: true })), ok());
  if (route === "POST /reset") return (release(), entra.respondWith(undefined), ok());
  res.writeHead(404).end();
});
const controlUrl = await listen(control);

let tls = {};
let proxy;
if (process.argv.includes("--https")) {
  const cert = await makeHttpsCertificate();
  proxy = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (req, res) => {
    const upstream = http.request(`${entra.url}${req.url}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
    upstream.on("error", () => res.destroy());
    req.pipe(upstream);
  });
  const url = (await listen(proxy)).replace("http://", "https://");
  tls = { entraHttps: url, caFile: cert.caFile };
}

process.stdout.write(`${JSON.stringify({ entra: entra.url, tenant: TENANT, clientId: CLIENT_ID, secret: SECRET, idp: idp.url, idpSecret: IDP_SECRET, control: controlUrl, ...tls })}\n`);
process.stdin.resume();
process.stdin.once("end", async () => {
  release();
  await Promise.allSettled([entra.close(), idp.close(), closeServer(control), ...(proxy ? [closeServer(proxy)] : [])]);
  process.exit(0);
});
