import { connect, createServer, type Server } from "node:net";

/**
 * A loopback listener on `port` (0: any free one), e.g. to make a port busy. Suites that need a port
 * keep it bound like this: a port learnt and then let go can be handed to a suite running alongside.
 */
export async function occupy(port = 0): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(port, "127.0.0.1", done));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("the listener has no port");
  return { server, port: address.port };
}

/** Refuses every connection: nothing may listen below 1024 without privileges, and suites take ports with 0. */
export const REFUSED_PORT = 1;

/**
 * A loopback port nothing listens on, for clients that refuse port 1 themselves (fetch calls it a bad
 * port): one the kernel handed out and that was let go at once.
 */
export async function closedPort(): Promise<number> {
  const { server, port } = await occupy();
  await new Promise<void>((done) => server.close(() => done()));
  return port;
}

/**
 * A stable loopback address in front of a server that comes back on another port: each connection is
 * relayed to the port `target()` names at the time.
 */
export async function relay(target: () => number): Promise<{ url: string; close(): Promise<void> }> {
  const { server, port } = await occupy();
  server.on("connection", (socket) => {
    const upstream = connect(target(), "127.0.0.1");
    socket.pipe(upstream).pipe(socket);
    upstream.on("error", () => socket.destroy());
    socket.on("error", () => upstream.destroy());
  });
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise<void>((done) => server.close(() => done())) };
}
