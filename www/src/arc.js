// Azure Arc's key file (Node only): the core checked the path the agent's 401 named (its folder,
// a .key name, no subfolder or ".."); this reads it as the agent wrote it, or says why not. A
// symlink, folder or FIFO is refused without following or opening it, a file over maxBytes
// without reading it all. Answers { content } or { error }; nothing here logs or throws the
// path or the content.
// node:fs comes with getBuiltinModule on first use, not as an import (an import of it cost every
// Node daemon's startup; BENCHMARKS.md, issue 24).
const fs = () => process.getBuiltinModule("node:fs");

// O_NOFOLLOW closes the gap between lstat and open; O_NONBLOCK keeps a FIFO swapped in from
// blocking the open. Windows has neither (and no FIFOs in that folder).
const flags = ({ constants }) => constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0);

// Where the agent's executable is: msal-node finds Arc by it when the agent's variables are not
// set (a service started without them).
const himds = () =>
  ({
    linux: "/opt/azcmagent/bin/himds",
    win32: process.env.ProgramFiles && `${process.env.ProgramFiles}\\AzureConnectedMachineAgent\\himds.exe`,
  })[process.platform];

/** `auth.managedIdentity.arcAgent`: whether the Azure Arc agent is installed here. */
export function arcAgentInstalled() {
  const path = himds();
  if (!path) return false;
  const { accessSync, constants } = fs();
  try {
    accessSync(path, constants.F_OK | constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

const code = (e) => (typeof e?.code === "string" ? e.code : "EIO");

/** `auth.managedIdentity.readFile`: at most `maxBytes` of the regular file at `path`. */
export async function readKeyFile(path, maxBytes) {
  const node = fs();
  const { lstat, open } = node.promises;
  try {
    if (!(await lstat(path)).isFile()) return { error: "not_a_file" };
  } catch (e) {
    return { error: code(e) };
  }
  let handle;
  try {
    handle = await open(path, flags(node));
  } catch (e) {
    // ELOOP: it became a symlink after lstat.
    return { error: e?.code === "ELOOP" ? "not_a_file" : code(e) };
  }
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) return { error: "not_a_file" };
    if (stat.size > maxBytes) return { error: "too_large" };
    // One byte more than allowed: a file that grew after stat is still caught.
    const buffer = Buffer.alloc(maxBytes + 1);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes + 1, 0);
    if (bytesRead > maxBytes) return { error: "too_large" };
    return { content: buffer.toString("utf8", 0, bytesRead) };
  } catch (e) {
    return { error: code(e) };
  } finally {
    await handle.close().catch(() => {});
  }
}
