// A fleet of daemon processes speaking the fleet protocol (test/support/fleet-daemon.mjs, the
// Deno and Rust daemons alike): each starts, says { ready }, acquires once when "go" arrives on
// stdin, and reports every log line ({ log }) and its outcome ({ result } or { error }), one JSON
// object a line.
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { until } from "./until.mjs";

/**
 * Starts one process per `[command, args, id, options]` and waits until every one is ready.
 * `options.env` is the whole environment (the parent's by default); with `options.keepStderr`
 * the daemon's stderr lines are kept in its `stderr` (for a failure message) instead of passed
 * through.
 * @returns {Promise<{ daemons: object[], go: (which?: object[]) => void, stop: () => void }>}
 */
export async function startDaemons(commands, what = "every daemon started") {
  const daemons = commands.map(([command, args, id, { env, keepStderr = false } = {}]) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", keepStderr ? "pipe" : "inherit"], ...(env ? { env } : {}) });
    const d = { child, id, logs: [], stderr: [], ready: false, outcome: null };
    createInterface({ input: child.stdout }).on("line", (line) => {
      const message = JSON.parse(line);
      if (message.ready) d.ready = true;
      if (message.log) d.logs.push(message.log);
      if (message.result || message.error) d.outcome = message;
    });
    if (keepStderr) createInterface({ input: child.stderr }).on("line", (line) => d.stderr.push(line));
    return d;
  });
  await until(() => daemons.every((d) => d.ready), what);
  return {
    daemons,
    go: (which = daemons) => which.forEach((d) => d.child.stdin.write("go\n")),
    stop: () => daemons.forEach((d) => (d.child.stdin.end(), d.child.kill())),
  };
}

/** Whether daemon `d` said it waits on another's lease. */
export const waiting = (d) => d.logs.some(([, m]) => /holds this token's lease: waiting/.test(m));
