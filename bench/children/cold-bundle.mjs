// A fresh container: imports the API bundle (whose init loads the keys from SSM), then serves
// the first GET /healthz and the first POST /v1/tokens. Plain node, no loader, as Lambda runs it.
import { pathToFileURL } from "node:url";

const [bundle, apiKey] = process.argv.slice(2);
const event = (method, path, body) => ({
  version: "2.0",
  rawPath: path,
  rawQueryString: "",
  headers: { host: "abc.lambda-url.us-east-1.on.aws", authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
  isBase64Encoded: body !== undefined,
  ...(body === undefined ? {} : { body: Buffer.from(body).toString("base64") }),
  requestContext: { requestId: `cold-${path}`, http: { method, path, sourceIp: "203.0.113.9" } },
});

const started = performance.now();
const { handler } = await import(pathToFileURL(bundle).href);
const imported = performance.now();
const health = await handler(event("GET", "/healthz"));
const healthy = performance.now();
const token = await handler(event("POST", "/v1/tokens", '{"region":"us-east-1"}'));
const minted = performance.now();
if (health.statusCode !== 200 || token.statusCode !== 200) {
  process.stderr.write(`unexpected answers: healthz ${health.statusCode}, tokens ${token.statusCode} ${token.body}\n`);
  process.exit(1);
}
const timings = { bootMs: started, importMs: imported - started, healthzMs: healthy - imported, tokenMs: minted - healthy };
process.stdout.write(`\n@@cold ${JSON.stringify(timings)}\n`);
process.exit(0);
