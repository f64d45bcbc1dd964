/** API keys: the stored records, loading them, and authenticating a presented key as a principal. */
export { authenticateKey, loadKeys, type KeyRecords } from "./directory.js";
export { UnknownKeyError } from "./errors.js";
export { generateKey, isUsable, parseKeyRecord, type KeyRecord } from "./record.js";
