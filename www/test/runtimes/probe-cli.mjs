// Deno and Bun: runs probe.mjs with the JSON configuration in the first argument (Deno.args
// needs no permission, unlike the environment) and prints the report as one JSON line.
import { probe } from "./probe.mjs";

const args = globalThis.Deno ? Deno.args : process.argv.slice(2);
console.log(JSON.stringify(await probe(JSON.parse(args[0]))));
