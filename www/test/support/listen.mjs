// Shared by the local servers: loopback only, an OS-assigned port, and a close that does not hang.
export async function listen(server) {
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return `http://127.0.0.1:${server.address().port}`;
}

// Writes a fake's answer: { status, headers?, body }, body a string or a JSON value.
export function respond(res, response) {
  const text = typeof response.body === "string" ? response.body : JSON.stringify(response.body);
  res.writeHead(response.status, response.headers ?? {}).end(text);
}

// Stops accepting, drops idle keep-alive sockets (fetch keeps them open) and waits until closed.
export function closeServer(server) {
  const closed = new Promise((resolve, reject) => server.close((e) => (e ? reject(e) : resolve())));
  server.closeAllConnections();
  return closed;
}
