// Waits for a condition another task or process makes true (a background write landing, a
// request reaching a server), checking it every few milliseconds, and fails after a bounded
// number of checks instead of hanging.
const CHECKS = 2_000;

export async function until(condition, what) {
  for (let i = 0; i < CHECKS; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, i < 100 ? 0 : 5));
  }
  throw new Error(`gave up waiting: ${what} (${CHECKS} checks)`);
}
