import { PROXY_API_KEY_PLACEHOLDER } from "../proxy/placeholder.js";
import { DEFAULT_PROXY_URL, chooseModels, displayWord, type SetupContext, type SetupOutput, type SetupTool } from "./context.js";
import { shellQuote, shellWord } from "../cli/shell.js";

/**
 * Any OpenAI-compatible tool (LiteLLM, LibreChat, Open WebUI, aider, the openai SDKs): such tools
 * read a static key, so they go through the proxy's `/v1`, which routes each model to its prefix.
 */
function build(context: SetupContext): SetupOutput {
  const proxy = context.proxy ?? DEFAULT_PROXY_URL;
  const { usable, chosen } = chooseModels(context, "an OpenAI-compatible tool", ["chat-completions", "responses"]);
  const text = [
    // What is eval'd: a newline in an id must not end the comment, so every value in it is one line.
    `# models in ${displayWord(context.region)}: ${usable.map((m) => `${displayWord(m.id)} (${m.apis.filter((a) => a !== "messages").join(", ")})`).join("; ")}`,
    `export OPENAI_BASE_URL=${shellQuote(`${proxy}/v1`)}`,
    `export OPENAI_API_KEY=${shellQuote(PROXY_API_KEY_PLACEHOLDER)}`,
    "",
  ].join("\n");
  return { text, hint: `eval "$(mantle-vend setup openai-env)" in the tool's shell, start \`mantle-vend proxy\` (${proxy}), and use model ${shellWord(chosen.id)}` };
}

export const openaiEnv: SetupTool = { name: "openai-env", summary: "any OpenAI-compatible tool (shell exports)", build };
