import { randomBytes } from "node:crypto";
import type { ParameterPaths } from "./paths.js";
import type { ParameterStore } from "./types.js";

/**
 * Marks a change of what running services hold (keys, catalog overrides): every admin write ends
 * with this, and services reload within a poll interval.
 */
export async function bumpConfigVersion(store: ParameterStore, paths: ParameterPaths): Promise<void> {
  await store.put(paths.configVersion, randomBytes(12).toString("base64url"));
}
