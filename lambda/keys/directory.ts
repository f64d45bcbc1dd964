import type { Log } from "../logger.js";
import type { ParameterPaths, ParameterStore } from "../store/index.js";
import { keyIdOf } from "../rules.js";
import { digestKey, isUsable, parseKeyRecord, recordAccepts, type KeyRecord } from "./record.js";
import { UnknownKeyError } from "./errors.js";
import { keyPrincipal } from "./principal.js";
import type { Principal } from "../grants/index.js";

/** Every API key record by keyId, as loaded from the store. */
export type KeyRecords = ReadonlyMap<string, KeyRecord>;

/** Reads every key record; one that does not parse is left out (it grants nothing) and logged by keyId. */
export async function loadKeys(store: ParameterStore, paths: ParameterPaths, log: Log): Promise<KeyRecords> {
  const keys = new Map<string, KeyRecord>();
  for (const { name, value } of await store.getByPath(paths.keys)) {
    const keyId = name.slice(paths.keys.length + 1);
    const record = parseKeyRecord(value);
    if (record === undefined || name !== paths.key(keyId)) {
      log.warn("ignoring an unreadable api key record", { keyId });
      continue;
    }
    keys.set(keyId, record);
  }
  log.info("api keys loaded", { keyCount: keys.size });
  return keys;
}

/**
 * The principal of a presented API key; UnknownKeyError for anything else. An unknown or malformed
 * key is still hashed and compared, so it costs what a wrong secret costs.
 */
export function authenticateKey(keys: KeyRecords, presented: string | undefined, nowMs: number): Principal {
  const keyId = presented === undefined ? undefined : keyIdOf(presented);
  const record = keyId === undefined ? undefined : keys.get(keyId);
  const matches = recordAccepts(record, digestKey(presented ?? ""), nowMs);
  if (keyId === undefined || record === undefined || !matches || !isUsable(record, nowMs)) throw new UnknownKeyError();
  return keyPrincipal(keyId, record);
}
