// The throughput floor for a token server: node:http, one getToken() per request, a JSON answer
// shaped like the real one. No auth, no validation, no logging, no rate limit.
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { getToken } from "@aws/bedrock-token-generator";

const credentials = { accessKeyId: process.env.AWS_ACCESS_KEY_ID as string, secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY as string };

const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on("data", (chunk: Buffer) => chunks.push(chunk));
  request.on("end", () => {
    void (async () => {
      const issuedAt = new Date();
      const token = await getToken({ credentials, region: "us-east-1", expiresInSeconds: 900 });
      const body = JSON.stringify({
        token,
        tokenType: "bearer",
        region: "us-east-1",
        baseUrl: "https://bedrock-mantle.us-east-1.api.aws/v1",
        issuedAt: issuedAt.toISOString(),
        expiresAt: new Date(issuedAt.getTime() + 900_000).toISOString(),
        expiresInSeconds: 900,
      });
      response.writeHead(200, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" }).end(body);
    })();
  });
});
server.listen(0, "127.0.0.1", () => {
  process.stderr.write(`bare token server listening on http://127.0.0.1:${(server.address() as AddressInfo).port}\n`);
});
process.once("SIGTERM", () => {
  server.close();
  server.closeAllConnections();
});
