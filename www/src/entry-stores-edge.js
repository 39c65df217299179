// "entra-edge/stores" in Vercel's Edge runtime: RedisStore only needs its client's methods, so it
// is here; FileStore needs a file system, which the Edge runtime lacks, and says so when made
// (a TypeError, as the stores' other constructor errors: this bundle has no error classes).
export { RedisStore } from "./stores/redis-store.js";

export class FileStore {
  constructor() {
    throw new TypeError(
      "FileStore is not available in Vercel's Edge runtime (no file system): use RedisStore over a Redis client with get, set, del and eval, or pass any object with get, put and delete as cache.store",
    );
  }
}
