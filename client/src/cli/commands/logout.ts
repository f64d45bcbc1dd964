import { logout as endSession } from "../../login.js";
import { FileTokenCache } from "../../token-cache.js";
import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stderr } from "../output.js";
import { loginContext, serviceSettings } from "../settings.js";

export const logout: Command = {
  name: "logout",
  summary: "forget the login of the service and revoke its refresh token",
  flags: [],
  help: `Deletes the session mantle-vend login saved for the service, revokes its refresh token at the identity
provider when it offers revocation, and forgets the tokens cached for the login.
`,
  async run(args, { env }) {
    const service = serviceSettings(args, env);
    const outcome = await endSession(loginContext(service));
    new FileTokenCache({ url: service.url, identity: "login" }).clear();
    if (!outcome.hadSession) stderr(`not logged in to ${service.url}`);
    else stderr(`logged out of ${service.url}${outcome.revoked ? "; the refresh token is revoked" : " (the provider revoked nothing)"}`);
    return EXIT.OK;
  },
};
