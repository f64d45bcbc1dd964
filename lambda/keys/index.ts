/** API keys: the stored records, loading them, and authenticating a presented key as a principal. */
export { authenticateKey, loadKeys, type KeyRecords } from "./directory.js";
export { UnknownKeyError } from "./errors.js";
export { keyPrincipal } from "./principal.js";
export { generateKey, hashKey, isUsable, parseKeyRecord, type KeyRecord, type NewKey } from "./record.js";
