// Types of "entra-edge/stores" (Node only).
import type { KvLike } from "./index.js";

/** One file per key in `dir` (created 0700), atomic write-and-rename, files 0600. */
export declare class FileStore implements KvLike {
  constructor(dir: string, options?: { now?: () => number });
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  delete(key: string): Promise<void>;
}

/** Any client with get(key), set(key, value, "EX", seconds) and del(key), e.g. ioredis. */
export interface RedisLikeClient {
  get(key: string): Promise<string | null>;
  set(key: string, value: string, mode: "EX", seconds: number): Promise<unknown>;
  del(key: string): Promise<unknown>;
}

export declare class RedisStore implements KvLike {
  constructor(client: RedisLikeClient);
  get(key: string): Promise<string | null>;
  put(key: string, value: string, options: { expirationTtl: number }): Promise<void>;
  delete(key: string): Promise<void>;
}
