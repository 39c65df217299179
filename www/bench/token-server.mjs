// A token endpoint in its own process, so that timing a client is not disturbed by the server
// sharing its event loop. Answers every POST with a fresh token; GET /count says how many.
// Started by run.mjs with fork(); sends its URL over IPC.
import http from "node:http";

let count = 0;
const server = http.createServer((req, res) => {
  if (req.method === "GET") return res.end(String(count));
  req.resume();
  req.on("end", () => {
    count++;
    const body = JSON.stringify({ token_type: "Bearer", expires_in: 3599, ext_expires_in: 3599, access_token: `eyJ0eXAiOiJKV1QifQ.eyJuIjo${count}fQ.sig` });
    res.writeHead(200, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, "127.0.0.1", () => process.send(`http://127.0.0.1:${server.address().port}`));
process.on("disconnect", () => server.close(() => process.exit(0)));
