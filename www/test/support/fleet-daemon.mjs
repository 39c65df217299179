// One daemon of a fleet, as its own process: an app over a RedisStore on the socket in argv[2],
// acquiring once when the parent writes "go" on stdin. Reports on stdout, one JSON object a
// line: every log line ({ log }) as it happens, then the outcome ({ result } or { error }).
//   node fleet-daemon.mjs <redis socket> <authority> <client id> <secret> <correlation id> [timeoutMs]
import { ConfidentialClientApplication } from "entra-edge";
import { RedisStore } from "entra-edge/stores";
import Redis from "ioredis";

const [socket, authority, clientId, clientSecret, correlationId, timeoutMs = "2000"] = process.argv.slice(2);
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
// Redis down: ioredis fails each command at once instead of queueing it.
const redis = new Redis({ path: socket, lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => null });
redis.on("error", () => {});
await redis.connect().catch(() => {});
const app = new ConfidentialClientApplication({
  auth: { clientId, authority, clientSecret },
  cache: { store: new RedisStore(redis) },
  system: { timeoutMs: Number(timeoutMs), deadlineMs: Math.max(Number(timeoutMs), 20_000), logger: (level, message) => say({ log: [level, message] }) },
});
say({ ready: true });
process.stdin.once("data", async () => {
  try {
    const r = await app.acquireTokenByClientCredential({ scopes: ["https://graph.microsoft.com/.default"], correlationId });
    say({ result: { accessToken: r.accessToken, tokenSource: r.tokenSource } });
  } catch (e) {
    say({ error: { errorCode: e.errorCode, message: e.message } });
  }
});
// The parent closes stdin when it is done with this daemon; queued commands finish first.
process.stdin.once("end", () => redis.quit().catch(() => redis.disconnect()));
