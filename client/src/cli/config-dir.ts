/** Where the CLI keeps its own configuration: the proxy's keys, the record of the configs setup wrote. */
import { homedir } from "node:os";
import { isAbsolute, join } from "node:path";

/** `$XDG_CONFIG_HOME/mantle-vend` (when absolute, as the XDG spec requires), else `~/.config/mantle-vend`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env["XDG_CONFIG_HOME"];
  return xdg !== undefined && xdg !== "" && isAbsolute(xdg) ? join(xdg, "mantle-vend") : join(homedir(), ".config", "mantle-vend");
}
