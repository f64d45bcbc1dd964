import { claudeCode } from "./claude-code.js";
import { codex } from "./codex.js";
import type { SetupTool } from "./context.js";
import { openaiEnv } from "./openai-env.js";
import { openclaw } from "./openclaw.js";
import { opencode } from "./opencode.js";
import { pi } from "./pi.js";

/** Every tool `mantle-vend setup` configures, in the order the usage text lists them. */
export const SETUP_TOOLS: readonly SetupTool[] = [openclaw, claudeCode, codex, pi, opencode, openaiEnv];

export function findSetupTool(name: string): SetupTool | undefined {
  return SETUP_TOOLS.find((tool) => tool.name === name);
}

export type { SetupTool } from "./context.js";
