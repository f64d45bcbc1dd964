import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { credentialFreeEnv } from "./process.js";

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** What a fresh clone after `npm ci` does not have: local state, build output, tarballs. */
const LOCAL_STATE = new Set([".git", ".mantle-vend", ".node24", "cdk.out", "coverage"]);

export interface Checkout {
  /** The clone's root: run commands here as a user would in theirs. */
  dir: string;
  remove(): void;
}

/**
 * A fresh clone of the repository after `npm ci`, as seen from its root, without copying it: every
 * top-level entry is a link to the real one, except `client/`, which is copied without `dist/`, so that
 * packing the client there builds a private `dist/` (the real one keeps serving the suites running
 * meanwhile), and local state (`.mantle-vend/`, `cdk.out/`, tarballs), which is left out. Commands that
 * write to the working directory (`npm pack`, `npm start`'s data dir) write into this one.
 */
export function freshCheckout(): Checkout {
  const dir = mkdtempSync(join(tmpdir(), "mantle-vend-clone-"));
  for (const entry of readdirSync(REPO)) {
    if (LOCAL_STATE.has(entry) || entry.endsWith(".tgz")) continue;
    if (entry === "client") continue;
    symlinkSync(join(REPO, entry), join(dir, entry));
  }
  mkdirSync(join(dir, "client"));
  for (const entry of readdirSync(join(REPO, "client"))) {
    if (entry === "dist" || entry === "node_modules") continue;
    cpSync(join(REPO, "client", entry), join(dir, "client", entry), { recursive: true });
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * The environment of a user's shell on a machine without AWS credentials: none of the `npm_*`
 * variables of the `npm test` that runs the suites, and npm itself offline (nothing here needs the
 * registry; a command that tried would fail instead of fetching).
 */
export function userEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(credentialFreeEnv(home))) {
    if (value !== undefined && !/^npm_|^INIT_CWD$|^XDG_/.test(name)) env[name] = value;
  }
  return {
    ...env,
    npm_config_offline: "true",
    npm_config_audit: "false",
    npm_config_fund: "false",
    npm_config_update_notifier: "false",
    ...extra,
  };
}
