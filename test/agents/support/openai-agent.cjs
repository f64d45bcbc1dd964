// A minimal OpenAI-compatible agent, configured only by OPENAI_BASE_URL and OPENAI_API_KEY (what
// `mantle-vend setup openai-env` exports): one chat turn with a shell tool, run by the SDK's tool loop.
// Usage: node openai-agent.cjs <prefix holding the openai package> <model> <prompt>
const { execSync } = require("node:child_process");
const { createRequire } = require("node:module");
const { join } = require("node:path");

const [prefix, model, prompt] = process.argv.slice(2);
const { OpenAI } = createRequire(join(prefix, "package.json"))("openai");

async function main() {
  const client = new OpenAI({ maxRetries: 0, timeout: 30_000 });
  const runner = client.chat.completions.runTools({
    model,
    stream: true,
    messages: [{ role: "user", content: prompt }],
    tools: [
      {
        type: "function",
        function: {
          name: "bash",
          description: "Run a shell command and return its output",
          parameters: { type: "object", properties: { command: { type: "string" } }, required: ["command"] },
          parse: JSON.parse,
          function: ({ command }) => execSync(command, { encoding: "utf8", timeout: 10_000 }),
        },
      },
    ],
    maxChatCompletions: 4,
  });
  process.stdout.write(`${(await runner.finalContent()) ?? ""}\n`);
}

main().catch((error) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
