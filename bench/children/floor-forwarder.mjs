// The floor a forwarding proxy cannot go below: node:http, one keep-alive agent, the path unchanged,
// the caller's authorization replaced by one fixed token, bodies piped both ways. No guard, no
// routing, no token cache, no header filtering. Plain node, no loader.
import { Agent, createServer, request } from "node:http";

const upstream = new URL(process.env.FLOOR_UPSTREAM ?? ""); // a Mantle root, e.g. http://127.0.0.1:port/us-east-1
const authorization = `Bearer ${process.env.FLOOR_TOKEN ?? ""}`;
const agent = new Agent({ keepAlive: true });

const server = createServer((req, res) => {
  const headers = { ...req.headers, host: upstream.host, authorization };
  const out = request({ hostname: upstream.hostname, port: upstream.port, method: req.method, path: `${upstream.pathname}${req.url}`, headers, agent }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  out.on("error", () => res.destroy());
  req.pipe(out);
});
server.listen(0, "127.0.0.1", () => process.stderr.write(`floor forwarder listening on http://127.0.0.1:${server.address().port}\n`));
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
