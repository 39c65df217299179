// "entra-edge/stores": KV-shaped stores for Node daemons.
export { FileStore } from "./stores/file-store.js";
export { RedisStore } from "./stores/redis-store.js";
