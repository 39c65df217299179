// One Deno process of a fleet sharing a KV file through DenoKvStore: acquires once when the
// parent writes a line on stdin. Reports on stdout, one JSON object a line: { ready }, every log
// line ({ log }) as it happens, then the outcome ({ result } or { error }).
//   deno run --allow-net --unstable-kv --allow-read=<dir> --allow-write=<dir> deno-kv-daemon.mjs '<json>'
//   json: { kvPath, authority, clientId, clientSecret, correlationId, timeoutMs }
import { ConfidentialClientApplication, DenoKvStore } from "entra-edge";

const { kvPath, authority, clientId, clientSecret, correlationId, timeoutMs } = JSON.parse(Deno.args[0]);
const encoder = new TextEncoder();
const say = (o) => Deno.stdout.writeSync(encoder.encode(`${JSON.stringify(o)}\n`));
const kv = await Deno.openKv(kvPath);
const app = new ConfidentialClientApplication({
  auth: { clientId, authority, clientSecret },
  cache: { store: new DenoKvStore(kv) },
  system: { timeoutMs, deadlineMs: Math.max(timeoutMs, 20_000), logger: (level, message) => say({ log: [level, message] }) },
});
say({ ready: true });
const reader = Deno.stdin.readable.getReader();
await reader.read();
try {
  const r = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"], correlationId });
  say({ result: { accessToken: r.accessToken, tokenSource: r.tokenSource } });
} catch (e) {
  say({ error: { errorCode: e.errorCode, message: e.message } });
}
// Waits for the parent to close stdin, so a leaseholder's release and writes finish first.
while (!(await reader.read()).done);
kv.close();
