// @azure/identity's AzureCliCredential (Node): the token of the developer signed in with `az login`.
// `az` is spawned without a shell, with arguments checked first, so a scope or tenant cannot
// become a command. Its tokens are kept in memory until 5 minutes before they expire.
import { configError, unavailable } from "./errors.js";

const NAME = "AzureCliCredential";
// @azure/identity's checks: what a resource URL and a tenant id or domain can hold.
const RESOURCE = /^[0-9a-zA-Z\-_.:/]+$/;
const TENANT = /^[0-9a-zA-Z\-.]+$/;
const DEFAULT_TIMEOUT_MS = 10_000;
const BUFFER_MS = 5 * 60 * 1000;
const OPTIONS = new Set(["tenantId", "processTimeoutInMs", "subscription"]);

export class AzureCliCredential {
  #tenantId;
  #timeoutMs;
  #subscription;
  #tokens = new Map();

  constructor(options = {}) {
    for (const option of Object.keys(options ?? {})) {
      if (!OPTIONS.has(option)) throw configError("invalid_config", `${NAME}: unknown option options.${option}: check its spelling against the documented options`);
    }
    const { tenantId, processTimeoutInMs = DEFAULT_TIMEOUT_MS, subscription } = options ?? {};
    if (tenantId !== undefined && (typeof tenantId !== "string" || !TENANT.test(tenantId))) {
      throw configError("invalid_config", `${NAME}: options.tenantId must be a tenant id or domain (letters, digits, '-' and '.')`);
    }
    if (!Number.isInteger(processTimeoutInMs) || processTimeoutInMs < 1) {
      throw configError("invalid_config", `${NAME}: options.processTimeoutInMs must be a positive whole number of milliseconds`);
    }
    if (subscription !== undefined && (typeof subscription !== "string" || !/^[0-9a-zA-Z\-_. ]+$/.test(subscription))) {
      throw configError("invalid_config", `${NAME}: options.subscription must be a subscription id or name (letters, digits, '-', '_', '.' and spaces)`);
    }
    this.#tenantId = tenantId;
    this.#timeoutMs = processTimeoutInMs;
    this.#subscription = subscription;
  }

  /** @azure/core-auth's getToken for one scope; `tenantId` overrides the constructor's. */
  async getToken(scopes, options = {}) {
    const list = typeof scopes === "string" ? [scopes] : scopes;
    if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== "string") {
      throw configError("invalid_scope", `${NAME}: getToken takes exactly one scope (a resource's /.default), got ${Array.isArray(list) ? list.length : typeof list}`);
    }
    const resource = list[0].replace(/\/\.default$/, "");
    if (!RESOURCE.test(resource)) {
      throw configError("invalid_scope", `${NAME}: the scope must be a resource URL with letters, digits and - _ . : / only, e.g. https://storage.azure.com/.default`);
    }
    const tenantId = options?.tenantId ?? this.#tenantId;
    if (tenantId !== undefined && (typeof tenantId !== "string" || !TENANT.test(tenantId))) {
      throw configError("invalid_config", `${NAME}: tenantId must be a tenant id or domain (letters, digits, '-' and '.')`);
    }
    const key = `${resource}\u0001${tenantId ?? ""}`;
    const held = this.#tokens.get(key);
    if (held && (held.pending || held.expiresOnTimestamp - BUFFER_MS > Date.now())) return held.pending ?? held;
    const pending = this.#ask(resource, tenantId);
    this.#tokens.set(key, { pending });
    try {
      const token = await pending;
      this.#tokens.set(key, token);
      return token;
    } catch (e) {
      this.#tokens.delete(key);
      throw e;
    }
  }

  async #ask(resource, tenantId) {
    const args = ["account", "get-access-token", "--output", "json", "--resource", resource];
    if (tenantId) args.push("--tenant", tenantId);
    if (this.#subscription) args.push("--subscription", this.#subscription);
    const { execFile } = process.getBuiltinModule("node:child_process");
    const { stdout, error, stderr } = await new Promise((resolve) => {
      execFile("az", args, { timeout: this.#timeoutMs, windowsHide: true, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => resolve({ error, stdout, stderr: String(stderr) }));
    });
    if (error) {
      if (error.code === "ENOENT") throw unavailable(`${NAME}: the Azure CLI (az) was not found on PATH: install it, then run az login`);
      if (error.killed) throw unavailable(`${NAME}: az account get-access-token did not finish within ${this.#timeoutMs} ms (options.processTimeoutInMs)`);
      if (/az login|az account set/.test(stderr)) throw unavailable(`${NAME}: the Azure CLI is not logged in: run az login${tenantId ? ` --tenant ${tenantId}` : ""}`);
      // stderr is az's diagnostic; it carries no token (that only goes to stdout).
      throw unavailable(`${NAME}: az account get-access-token failed (exit ${error.code}): ${stderr.trim().split("\n")[0].slice(0, 300)}`);
    }
    let answer;
    try {
      answer = JSON.parse(stdout);
    } catch {
      throw unavailable(`${NAME}: az account get-access-token printed something that is not JSON: update the Azure CLI`);
    }
    const expiresOn = Number(answer?.expires_on) * 1000 || Date.parse(answer?.expiresOn);
    if (typeof answer?.accessToken !== "string" || !answer.accessToken || !Number.isFinite(expiresOn)) {
      throw unavailable(`${NAME}: az account get-access-token's answer has no accessToken and expires_on/expiresOn: update the Azure CLI`);
    }
    return { token: answer.accessToken, expiresOnTimestamp: expiresOn, tokenType: "Bearer" };
  }
}
