// A real redis-server (Debian's package) on a unix socket in a fresh folder, for the fleet tests
// and the fleet benchmark; and the lease-free view of a store both compare against.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * @returns {Promise<{ socket: string, pause: () => void, resume: () => void, kill: () => Promise<void>, stop: () => Promise<void> }>}
 *   pause() stops the process (SIGSTOP: connections stay open, nothing answers), resume()
 *   continues it, kill() ends it at once (SIGKILL). stop() resolves once the server has exited
 *   (and its folder is gone): nothing can connect to it after that.
 */
export async function startRedis() {
  const dir = await mkdtemp(join(tmpdir(), "entra-edge-redis-"));
  const socket = join(dir, "redis.sock");
  const server = spawn("redis-server", ["--port", "0", "--unixsocket", socket, "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "inherit"] });
  const exited = once(server, "exit");
  await new Promise((resolve, reject) => {
    server.once("error", reject);
    server.once("exit", (code, signal) => reject(new Error(`redis-server exited (${signal ?? code}) before it was ready`)));
    server.stdout.on("data", (d) => /ready to accept connections/i.test(d.toString()) && resolve());
  });
  // Stop and continue go through process.kill, not server.kill: Deno's node:child_process sends
  // no further signal once the child is marked `killed` by a first one (seen in Deno 2.9.6), so
  // stop() after pause() would never end the server there.
  // A server that already exited has nothing to stop or continue (as server.kill returns false).
  const signal = (name) => server.exitCode === null && server.signalCode === null && process.kill(server.pid, name);
  return {
    socket,
    pause: () => signal("SIGSTOP"),
    resume: () => signal("SIGCONT"),
    kill: async () => {
      server.kill("SIGKILL");
      await exited;
    },
    stop: async () => {
      // A paused server would not act on SIGTERM until continued.
      signal("SIGCONT");
      server.kill();
      await exited;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** The same store with its get/put/delete only: a client over it runs without the lease. */
export const withoutLease = (store) => ({ get: (k) => store.get(k), put: (k, v, o) => store.put(k, v, o), delete: (k) => store.delete(k) });
