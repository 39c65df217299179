// The owner ids a store's leases were taken with, so that a release removes only the lease this
// store took (a lease that expired and was taken by another process is left alone).

export class LeaseOwners {
  /** Lease key -> the owner id used to take it. */
  #owned = new Map();

  /** Tries `take(owner)` with a fresh owner id; true when the lease was taken. */
  async take(key, take) {
    const owner = crypto.randomUUID();
    const taken = await take(owner);
    if (taken) this.#owned.set(key, owner);
    return taken;
  }

  /** Runs `release(owner)` if this store holds the lease on `key`. */
  async release(key, release) {
    const owner = this.#owned.get(key);
    if (owner === undefined) return;
    this.#owned.delete(key);
    await release(owner);
  }
}
