// The runtime ciphers the wasm core seals cache.store entries with (src/cipher.js,
// src/cipher-node.js): WebCrypto's and node:crypto's AES-256-GCM must make the same bytes, so
// entries written in workerd open in Node and back, and both must refuse what does not verify.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { webCryptoCipher } from "../src/cipher.js";
import { nodeCipher } from "../src/cipher-node.js";

const bytes = async (v) => new Uint8Array(await v);

test("WebCrypto and node:crypto seal to the same bytes and open each other's", async () => {
  const key = randomBytes(32);
  const web = webCryptoCipher(new Uint8Array(key));
  const node = nodeCipher(new Uint8Array(key));
  const iv = randomBytes(12);
  const aad = new TextEncoder().encode("entra-edge:abc");
  const plain = new TextEncoder().encode(JSON.stringify({ at: "x".repeat(2000), exp: 1 }));
  const a = await bytes(web.seal(iv, aad, plain));
  const b = await bytes(node.seal(iv, aad, plain));
  assert.deepEqual(a, b);
  assert.equal(a.length, plain.length + 16);
  assert.deepEqual(await bytes(node.open(iv, aad, a)), plain);
  assert.deepEqual(await bytes(web.open(iv, aad, b)), plain);
});

test("both refuse another key, other associated data and a changed byte", async () => {
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const aad = new TextEncoder().encode("entra-edge:abc");
  const sealed = await bytes(webCryptoCipher(new Uint8Array(key)).seal(iv, aad, new Uint8Array([1, 2, 3])));
  const tampered = sealed.slice();
  tampered[0] ^= 1;
  for (const cipher of [webCryptoCipher, nodeCipher]) {
    const other = cipher(new Uint8Array(randomBytes(32)));
    const same = cipher(new Uint8Array(key));
    await assert.rejects(async () => other.open(iv, aad, sealed));
    await assert.rejects(async () => same.open(iv, new TextEncoder().encode("entra-edge:abd"), sealed));
    await assert.rejects(async () => same.open(iv, aad, tampered));
    assert.deepEqual(await bytes(same.open(iv, aad, sealed)), new Uint8Array([1, 2, 3]));
  }
});

test("WebCrypto's cipher does not keep the key bytes it was given", async () => {
  const raw = new Uint8Array(randomBytes(32));
  const copy = raw.slice();
  const cipher = webCryptoCipher(raw);
  raw.fill(0); // what the wasm does when the factory returns
  const iv = randomBytes(12);
  const sealed = await bytes(cipher.seal(iv, new Uint8Array(0), new Uint8Array([7])));
  assert.deepEqual(await bytes(nodeCipher(copy).open(iv, new Uint8Array(0), sealed)), new Uint8Array([7]));
});
