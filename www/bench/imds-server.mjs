// The fake IMDS (test/support/imds-fake.mjs) in its own process, so cold timings do not share
// the event loop with the fake. Sends its base URL to the parent; answers "count" with the
// number of IMDS token requests so far.
import { startManagedIdentityFake } from "../test/support/imds-fake.mjs";

const fake = await startManagedIdentityFake();
process.send(fake.base);
process.on("message", (m) => {
  if (m === "count") process.send(fake.tokenRequests("imds").length);
  if (m === "stop") fake.close().then(() => process.exit(0));
});
