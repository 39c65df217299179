// The CPU time of the workerd processes a benchmark's Miniflare instances run in: the machine
// is shared, and waiting for a core adds to wall time but not to this.
import { readdirSync, readFileSync } from "node:fs";

/** The workerd processes this process started (children of it), by pid, oldest first. */
export function workerdPids() {
  const pids = [];
  for (const pid of readdirSync("/proc").filter((d) => /^\d+$/.test(d))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (comm === "workerd" && ppid === process.pid) pids.push(Number(pid));
    } catch {
      // Gone meanwhile.
    }
  }
  return pids.sort((a, b) => a - b);
}

/** CPU time of all of `pid`'s threads, in ns (the first field of each thread's schedstat). */
export function cpuNs(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended.
    }
  }
  return total;
}
