/** Key administration shared by mantle-vend-admin (cli.ts, its entry point) and npm start. */
export { KeyAdmin, type CreateKeyOptions, type KeySummary } from "./keys-admin.js";
