import { createServer, type Server } from "node:net";

/** A loopback listener on `port` (0: any free one), e.g. to make a port busy. */
export async function occupy(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(port, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the listener has no port");
  return { server, port: address.port };
}

/** A port nothing listens on: bound once to learn a free number, then closed (connections are refused). */
export async function freePort(): Promise<number> {
  const { server, port } = await occupy();
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}
