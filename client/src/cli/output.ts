/** How the CLI writes: results on stdout, one `mantle-vend:` line per message on stderr. */
import { writeSync } from "node:fs";
import { redact } from "../errors.js";
import { UsageError } from "./errors.js";

/**
 * Writes to fd 1 directly: `process.stdout` loads Node's stream (and for a pipe, net) modules, a large
 * share of a `mantle-vend token` run that a tool starts before every request. A reader that went
 * away (`mantle-vend models | head -1`) is not an error; a non-blocking pipe that is full falls back
 * to the stream, which waits for it.
 */
export function stdout(text: string): void {
  const bytes = Buffer.from(text, "utf8");
  let offset = 0;
  try {
    while (offset < bytes.length) offset += writeSync(1, bytes, offset);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EPIPE") return;
    if (code !== "EAGAIN") throw error;
    process.stdout.on("error", () => undefined);
    process.stdout.write(bytes.subarray(offset));
  }
}

/** One line on stderr, prefixed and scrubbed of anything shaped like a key or a token. */
export function stderr(line: string): void {
  process.stderr.write(`mantle-vend: ${redact(line)}\n`);
}

/** The whole of stdin, refused beyond `limit` bytes. */
export async function readStdin(limit = 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new UsageError("the request on stdin is too large");
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString("utf8");
}
