// Types of "entra-edge/stores" (Node only).
import type { KvLike } from "./index.d.ts";

/** One file per key in `dir` (created 0700), atomic write-and-rename, files 0600. */
export declare class FileStore implements KvLike {
  constructor(dir: string, options?: { now?: () => number });
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Any client with get, set (EX, and PX NX for leases), del and eval, e.g. ioredis. */
export interface RedisLikeClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ...options: (string | number)[]): Promise<unknown>;
  del(key: string): Promise<unknown>;
  eval(script: string, keys: number, ...args: (string | number)[]): Promise<unknown>;
}

/** Shares sealed tokens through Redis, and leases each key (SET NX PX) so a fleet makes one token request. */
export declare class RedisStore implements KvLike {
  constructor(client: RedisLikeClient);
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  delete(key: string): Promise<void>;
  /** Takes the lease on `key` for `ttlMs` if nobody holds it. */
  lease(key: string, ttlMs: number): Promise<boolean>;
  /** Releases the lease if this store still owns it. */
  release(key: string): Promise<void>;
}
