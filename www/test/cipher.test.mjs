// The runtime ciphers the wasm core seals cache.store entries with (src/cipher.js,
// src/cipher-node.js): WebCrypto's and node:crypto's AES-256-GCM must make the same bytes, so
// entries written in workerd open in Node and back, and both must refuse what does not verify.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { test } from "node:test";
import { webCryptoCipher } from "../src/cipher.js";
import { nodeCipher } from "../src/cipher-node.js";

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

test("values that are no envelope are told apart from ones that do not verify", async () => {
  const aad = text("entra-edge:vector");
  for (const cipher of [webCryptoCipher, nodeCipher]) {
    const c = cipher(hex(VECTOR_KEY));
    const reason = async (value) => {
      try {
        await c.open(value, aad);
        return "opened";
      } catch (e) {
        return e.message;
      }
    };
    assert.equal(await reason("ee2.AAAA"), "version");
    assert.equal(await reason(VECTOR.slice(4)), "version");
    assert.equal(await reason("ee1.AQID=="), "encoding", "padding is not base64url without padding");
    assert.equal(await reason("ee1.AQ+D"), "encoding");
    assert.equal(await reason("ee1.AQID"), "encoding", "too short for a nonce and a tag");
    assert.notEqual(await reason(`${VECTOR.slice(0, -2)}AA`), "opened", "a changed tag does not verify");
    assert.notEqual(await reason(VECTOR.slice(0, -2)), "opened");
  }
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
