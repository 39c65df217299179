// Classes a runtime cannot offer, exported anyway so that using one fails at construction with
// a message naming the runtime and what to use instead, not with an import error or a bare
// TypeError later.
import { configError } from "./errors.js";

export function unavailableHere(name, runtime, instead) {
  const unavailable = class {
    constructor() {
      throw configError("unsupported_runtime", `${name} is not available in ${runtime}: use ${instead}`);
    }
  };
  return Object.defineProperty(unavailable, "name", { value: name });
}
