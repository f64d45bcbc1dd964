/** Key and identity policy administration shared by mantle-vend-admin (cli.ts, its entry point), npm start and tests. */
export { IdentityAdmin } from "./identities-admin.js";
export { KeyAdmin } from "./keys-admin.js";
