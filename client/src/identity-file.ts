import { readFileSync } from "node:fs";
import { identityUnavailable } from "./identity-http.js";

/** An ID token is a few KiB; a file much larger than that is not one. */
const MAX_TOKEN_FILE_BYTES = 64 * 1024;

/**
 * The token a file holds (`MANTLE_VEND_IDENTITY=file:PATH`), trimmed: a Kubernetes projected
 * service-account token, which the kubelet rotates by swapping a symlink — so symlinks are followed and
 * the file is read again whenever a new token is needed.
 */
export function readIdentityFile(path: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "error";
    throw identityUnavailable(`file:${path} cannot be read (${code})`);
  }
  if (bytes.length > MAX_TOKEN_FILE_BYTES) throw identityUnavailable(`file:${path} is too large to hold a token`);
  const text = bytes.toString("utf8").trim();
  if (text === "") throw identityUnavailable(`file:${path} is empty`);
  return text;
}
