// The CPU time of the workerd processes a benchmark's Miniflare instances run in: the machine
// is shared, and waiting for a core adds to wall time but not to this.
import { readdirSync, readFileSync } from "node:fs";
import { Miniflare } from "miniflare";

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

/**
 * A fresh Miniflare with `options`, then `paths` requested in turn: the CPU its workerd took
 * from start until ready (`load`), and for each request (`times`), in ms. A request that fails
 * throws.
 */
export async function measureFresh(options, paths) {
  const before = new Set(workerdPids());
  const mf = new Miniflare(options);
  try {
    await mf.ready;
    const pid = workerdPids().find((p) => !before.has(p));
    if (pid === undefined) throw new Error("no workerd process of this benchmark found");
    const load = Number(cpuNs(pid)) / 1e6;
    const times = [];
    for (const path of paths) {
      const start = cpuNs(pid);
      const res = await mf.dispatchFetch(`http://bench${path}`);
      const text = await res.text();
      if (!res.ok) throw new Error(`${path}: ${res.status} ${text}`);
      times.push(Number(cpuNs(pid) - start) / 1e6);
    }
    return { load, times };
  } finally {
    await mf.dispose();
  }
}
