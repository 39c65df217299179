// The runtime ciphers the wasm core seals cache.store entries with (src/cipher.js,
// src/cipher-node.js): WebCrypto's and node:crypto's AES-256-GCM must make the same bytes, so
// entries written in workerd open in Node and back, and both must refuse what does not verify.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { webCryptoCipher } from "../src/cipher.js";
import { nodeCipher } from "../src/cipher-node.js";

const run = promisify(execFile);
const bytes = async (v) => new Uint8Array(await v);
const text = (s) => new TextEncoder().encode(s);
const hex = (h) => Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));

// tests/envelope.rs's vector: the core's software cipher and framing made it.
const VECTOR_KEY = "4717f782e86287ac6c699223389a8e84ef4021c5e70c5a8aaac305c820c8fe13";
const VECTOR = "ee1.AQIDBAUGBwgJCgsMUjKIvlekmZ-JY1xsf_j8DgwZTClZA8npv3AiGxmkkJvc8FTE0xA";
const VECTOR_PLAIN = '{"at":"token","exp":1}';

test("both ciphers seal the core's vector byte for byte and open it", async () => {
  const iv = Uint8Array.from({ length: 12 }, (_, i) => i + 1);
  const aad = text("entra-edge:vector");
  for (const cipher of [webCryptoCipher, nodeCipher]) {
    const c = cipher(hex(VECTOR_KEY));
    assert.equal(await c.seal(iv, aad, text(VECTOR_PLAIN)), VECTOR, cipher.name);
    assert.equal(new TextDecoder().decode(await bytes(c.open(VECTOR, aad))), VECTOR_PLAIN, cipher.name);
  }
});

// Each value, and why opening it fails ("opened" when it does not): the refusals the wasm reads.
const REFUSED = [
  ["ee2.AAAA", "version"],
  [VECTOR.slice(4), "version"],
  ["ee1.AQID==", "encoding"], // padding: not base64url without padding
  [`${VECTOR}=`, "encoding"], // the vector, padded
  ["ee1.AQ+D", "encoding"],
  ["ee1.AQID", "encoding"], // too short for a nonce and a tag
];
const UNVERIFIED = [`${VECTOR.slice(0, -2)}AA`, VECTOR.slice(0, -2)]; // a changed tag, a cut one

async function reasons(c, aad) {
  const reason = async (value) => {
    try {
      await c.open(value, aad);
      return "opened";
    } catch (e) {
      return e.message;
    }
  };
  return { refused: await Promise.all(REFUSED.map(([v]) => reason(v))), unverified: await Promise.all(UNVERIFIED.map(reason)) };
}

function assertRefusals({ refused, unverified }, label) {
  assert.deepEqual(refused, REFUSED.map(([, why]) => why), label);
  for (const why of unverified) assert.notEqual(why, "opened", label);
}

test("values that are no envelope are told apart from ones that do not verify", async () => {
  for (const cipher of [webCryptoCipher, nodeCipher]) assertRefusals(await reasons(cipher(hex(VECTOR_KEY)), text("entra-edge:vector")), cipher.name);
});

test("where the runtime decodes base64url itself (Uint8Array.fromBase64: workerd, Deno), it refuses the same values", async () => {
  // Node 20 has no fromBase64, so WebCrypto's cipher is run in Deno, which has it as workerd does.
  const script = `
    import { webCryptoCipher } from ${JSON.stringify(new URL("../src/cipher.js", import.meta.url).href)};
    const c = webCryptoCipher(Uint8Array.from(${JSON.stringify(VECTOR_KEY)}.match(/../g), (b) => parseInt(b, 16)));
    const aad = new TextEncoder().encode("entra-edge:vector");
    const reason = async (v) => { try { await c.open(v, aad); return "opened"; } catch (e) { return e.message; } };
    console.log(JSON.stringify({
      fromBase64: typeof Uint8Array.fromBase64,
      opened: new TextDecoder().decode(await c.open(${JSON.stringify(VECTOR)}, aad)),
      refused: await Promise.all(${JSON.stringify(REFUSED.map(([v]) => v))}.map(reason)),
      unverified: await Promise.all(${JSON.stringify(UNVERIFIED)}.map(reason)),
    }));`;
  const { stdout } = await run(fileURLToPath(new URL("../node_modules/.bin/deno", import.meta.url)), ["eval", "--ext=js", script]);
  const seen = JSON.parse(stdout);
  assert.equal(seen.fromBase64, "function");
  assert.equal(seen.opened, VECTOR_PLAIN);
  assertRefusals(seen, "Deno");
});

test("WebCrypto and node:crypto seal to the same value and open each other's", async () => {
  const key = randomBytes(32);
  const web = webCryptoCipher(new Uint8Array(key));
  const node = nodeCipher(new Uint8Array(key));
  const iv = randomBytes(12);
  const aad = text("entra-edge:abc");
  const plain = text(JSON.stringify({ at: "x".repeat(2000), exp: 1 }));
  const a = await web.seal(iv, aad, plain);
  const b = await node.seal(iv, aad, plain);
  assert.equal(a, b);
  assert.deepEqual(await bytes(node.open(a, aad)), plain);
  assert.deepEqual(await bytes(web.open(b, aad)), plain);
});

test("both refuse another key, other associated data and a changed byte", async () => {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const aad = new TextEncoder().encode("entra-edge:abc");
  const sealed = await webCryptoCipher(new Uint8Array(key)).seal(iv, aad, new Uint8Array([1, 2, 3]));
  const tampered = `${sealed.slice(0, 20)}${sealed[20] === "A" ? "B" : "A"}${sealed.slice(21)}`;
  for (const cipher of [webCryptoCipher, nodeCipher]) {
    const other = cipher(new Uint8Array(randomBytes(32)));
    const same = cipher(new Uint8Array(key));
    await assert.rejects(async () => other.open(sealed, aad));
    await assert.rejects(async () => same.open(sealed, new TextEncoder().encode("entra-edge:abd")));
    await assert.rejects(async () => same.open(tampered, aad));
    assert.deepEqual(await bytes(same.open(sealed, aad)), new Uint8Array([1, 2, 3]));
  }
});

test("WebCrypto's cipher does not keep the key bytes it was given", async () => {
  const raw = new Uint8Array(randomBytes(32));
  const copy = raw.slice();
  const cipher = webCryptoCipher(raw);
  raw.fill(0); // what the wasm does when the factory returns
  const iv = randomBytes(12);
  const sealed = await cipher.seal(iv, new Uint8Array(0), new Uint8Array([7]));
  assert.deepEqual(await bytes(nodeCipher(copy).open(sealed, new Uint8Array(0))), new Uint8Array([7]));
});
