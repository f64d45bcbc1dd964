import { unlinkSync } from "node:fs";
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";
import { MantleVendError } from "./errors.js";
import { isNonEmptyString, isRecord } from "./guards.js";
import { readPrivateFile, writePrivateFile } from "./private-file.js";

/** What `mantle-vend login` keeps for a service: enough to present the ID token and to renew it. */
export interface LoginSession {
  issuer: string;
  clientId: string;
  /** Absent when the provider gave none (the login then lasts as long as its ID token). */
  refreshToken?: string;
  idToken: string;
}

type Env = Record<string, string | undefined>;

const MAX_SESSION_BYTES = 64 * 1024;

/** `$XDG_CONFIG_HOME/mantle-vend/login` (when absolute), else `~/.config/mantle-vend/login`. */
function loginDir(env: Env): string {
  const xdg = env["XDG_CONFIG_HOME"];
  const base = xdg !== undefined && xdg !== "" && isAbsolute(xdg) ? xdg : join(env["HOME"] !== undefined && env["HOME"] !== "" ? env["HOME"] : homedir(), ".config");
  return join(base, "mantle-vend", "login");
}

/** The session file of a service: `<16 hex of sha256(URL)>.json` (the normalised service URL). */
export async function loginSessionPath(url: string, env: Env): Promise<string> {
  return join(loginDir(env), await loginSessionName(url));
}

async function loginSessionName(url: string): Promise<string> {
  // Loaded here, not at start: a `mantle-vend token` run with a key never needs node:crypto.
  const { createHash } = await import("node:crypto");
  return `${createHash("sha256").update(url, "utf8").digest("hex").slice(0, 16)}.json`;
}

/** The saved session of a service, if there is one this user alone can read and it parses. */
export async function readLoginSession(url: string, env: Env): Promise<LoginSession | undefined> {
  const text = readPrivateFile(await loginSessionPath(url, env), MAX_SESSION_BYTES);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const { issuer, clientId, refreshToken, idToken } = value;
  if (!isNonEmptyString(issuer) || !isNonEmptyString(clientId) || !isNonEmptyString(idToken)) return undefined;
  if (refreshToken !== undefined && !isNonEmptyString(refreshToken)) return undefined;
  return { issuer, clientId, idToken, ...(refreshToken === undefined ? {} : { refreshToken }) };
}

/** Saves the session 0600 in a 0700 directory, atomically. */
export async function saveLoginSession(url: string, env: Env, session: LoginSession): Promise<void> {
  const saved = writePrivateFile(loginDir(env), await loginSessionName(url), `${JSON.stringify(session)}\n`);
  if (!saved) throw new MantleVendError({ status: 0, code: "login_failed", message: `${loginDir(env)} is not a directory of this user: the login cannot be saved` });
}

/** Deletes the session file; false when there was none. */
export async function deleteLoginSession(url: string, env: Env): Promise<boolean> {
  const path = await loginSessionPath(url, env);
  try {
    unlinkSync(path);
    return true;
  } catch {
    return false;
  }
}
