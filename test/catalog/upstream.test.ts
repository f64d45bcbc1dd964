import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { CatalogError } from "../../lambda/catalog/errors.js";
import { fetchUpstreamModels } from "../../lambda/catalog/upstream.js";

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

describe("the live fetch of a model list follows no redirect", () => {
  it("fails on a 302 and never requests where it points", async () => {
    const seen: string[] = [];
    server = createServer((request, response) => {
      seen.push(request.url ?? "");
      if (request.url === "/v1/models") response.writeHead(302, { location: "/elsewhere/v1/models" }).end();
      else response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ data: [{ id: "evil.model" }] }));
    });
    await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
    const root = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await expect(fetchUpstreamModels(root, "token", 2_000)).rejects.toBeInstanceOf(CatalogError);
    expect(seen).toEqual(["/v1/models"]);
  });
});
