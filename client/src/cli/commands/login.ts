import { deviceLogin } from "../../login.js";
import { defaultSleep } from "../../retry.js";
import { FileTokenCache } from "../../token-cache.js";
import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stderr, stdout } from "../output.js";
import { loginContext, serviceSettings } from "../settings.js";

export const login: Command = {
  name: "login",
  summary: "log in with your identity provider, so tools need no API key",
  flags: [],
  help: `Logs you in to the service with the identity provider it advertises (GET /v1/identity), by the OAuth
2.0 device authorization grant: one line on stderr says where to confirm in a browser, and the command
waits for it. The session (your ID token and refresh token) is kept in
$XDG_CONFIG_HOME/mantle-vend/login/ (else ~/.config), 0600 in a 0700 directory, per service URL. Every
command then uses it when no API key or MANTLE_VEND_IDENTITY is set, renewing the ID token as it expires.
`,
  async run(args, { env, clock }) {
    const service = serviceSettings(args, env);
    const context = loginContext(service);
    const { subject } = await deviceLogin(clock === undefined ? context : { ...context, now: clock.now }, {
      notify: stderr,
      sleep: clock?.sleep ?? defaultSleep,
    });
    // Tokens cached for an earlier login of this service were someone's: the new login starts clean.
    new FileTokenCache({ url: service.url, identity: "login" }).clear();
    stdout(`logged in as ${subject}\n`);
    return EXIT.OK;
  },
};
