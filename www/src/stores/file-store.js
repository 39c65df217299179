// A KV-shaped store on the local disk for Node daemons: one file per key under `dir`, written
// to a temporary file and renamed into place (atomic on POSIX, so concurrent processes never
// read a torn value), mode 0600. Values are already sealed by entra-edge; the file adds only the
// expiry, checked on read like KV's expirationTtl.
import { mkdir, readFile, rename, unlink, writeFile } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { join } from "node:path";

export class FileStore {
  #dir;
  #now;
  #ready;

  /** @param {string} dir  created (0700) if missing. `now` is for tests. */
  constructor(dir, { now = Date.now } = {}) {
    if (typeof dir !== "string" || dir === "") throw new TypeError("FileStore: dir must be a directory path");
    this.#dir = dir;
    this.#now = now;
  }

  #path(key) {
    // Keys are "<prefix><hex>"; encode the prefix so no key can name a path outside dir.
    return join(this.#dir, `${encodeURIComponent(key)}.json`);
  }

  async get(key) {
    let text;
    try {
      text = await readFile(this.#path(key), "utf8");
    } catch (e) {
      if (e.code === "ENOENT") return null;
      throw e;
    }
    try {
      const { value, expiresAt } = JSON.parse(text);
      return typeof value === "string" && expiresAt > this.#now() ? value : null;
    } catch {
      return null; // a foreign or damaged file reads as a miss and is overwritten
    }
  }

  async put(key, value, { expirationTtl } = {}) {
    if (!(expirationTtl >= 60)) throw new TypeError("FileStore: expirationTtl must be at least 60 seconds, as in KV");
    this.#ready ??= mkdir(this.#dir, { recursive: true, mode: 0o700 });
    await this.#ready;
    const target = this.#path(key);
    const temp = `${target}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`;
    await writeFile(temp, JSON.stringify({ value, expiresAt: this.#now() + expirationTtl * 1000 }), { mode: 0o600 });
    await rename(temp, target);
  }

  async delete(key) {
    await unlink(this.#path(key)).catch((e) => {
      if (e.code !== "ENOENT") throw e;
    });
  }
}
