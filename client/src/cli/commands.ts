/**
 * The command table: every command of `mantle-vend`, in the order help lists them. Dispatch, the
 * flags each command accepts and every help text are read from it (one file per command in commands/).
 */
import type { Command } from "./command.js";
import { doctor } from "./commands/doctor.js";
import { env } from "./commands/env.js";
import { exec } from "./commands/exec.js";
import { help } from "./commands/help.js";
import { login } from "./commands/login.js";
import { logout } from "./commands/logout.js";
import { models } from "./commands/models.js";
import { openclawConfig } from "./commands/openclaw-config.js";
import { openclawResolver } from "./commands/openclaw-resolver.js";
import { proxy } from "./commands/proxy.js";
import { setup } from "./commands/setup.js";
import { token } from "./commands/token.js";
import { version } from "./commands/version.js";
import { whoami } from "./commands/whoami.js";

export const COMMANDS: readonly Command[] = [token, env, exec, models, whoami, login, logout, openclawConfig, openclawResolver, proxy, setup, doctor, version, help];
