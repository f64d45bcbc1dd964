import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { parseJsonObject } from "../guards.js";

/**
 * Where `npm start` keeps the offline emulator's port. Tokens carry the emulator's address in their
 * `baseUrl`, and clients cache them (the token file cache, a running `mantle-vend proxy`), so a restart
 * on the same data dir must come back on the same address for those tokens to keep working.
 */
export function emulatorPortFile(dataDir: string): string {
  return join(dataDir, "emulator.json");
}

/** The port saved by an earlier start, or undefined (none yet, or a file that is not ours to trust). */
export async function readEmulatorPort(dataDir: string): Promise<number | undefined> {
  let text: string;
  try {
    text = await readFile(emulatorPortFile(dataDir), "utf8");
  } catch {
    return undefined;
  }
  return parseEmulatorPort(text);
}

export function parseEmulatorPort(text: string): number | undefined {
  const port = parseJsonObject(text)?.["port"];
  return typeof port === "number" && Number.isInteger(port) && port > 0 && port <= 65_535 ? port : undefined;
}

/** Written through a temporary file and a rename, like the file store, so a reader never sees half. */
export async function saveEmulatorPort(dataDir: string, port: number): Promise<void> {
  const file = emulatorPortFile(dataDir);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify({ port })}\n`);
  await rename(temp, file);
}
