// Node, Deno and Bun: runs bench/runtime-probe.mjs with the JSON configuration in the first
// argument and prints the figures as one JSON line.
import { benchRuntime } from "./runtime-probe.mjs";

const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
console.log(JSON.stringify(await benchRuntime(JSON.parse(args[0]))));
