/*
 * What the Mantle emulator says, in the wire shapes the real `openai` and
 * `@anthropic-ai/sdk` packages parse (Chat Completions, Responses, Anthropic
 * Messages; JSON and SSE). Pure: the emulator only sends what this builds.
 *
 * A conversation that offers tools gets a call of one of them first, and text
 * once a tool result comes back, so agents can run a whole tool turn offline.
 */
import type { ModelApi } from "../catalog/index.js";
import { isRecord } from "../guards.js";

interface ToolSpec {
  readonly name: string;
  /** JSON Schema of the arguments, as the request gave it. */
  readonly schema: unknown;
}

/** What the emulator reads from a request body. */
export interface Conversation {
  readonly model: string;
  readonly stream: boolean;
  readonly tools: readonly ToolSpec[];
  /** The tool result the conversation ends with, if it does. */
  readonly toolResult: string | undefined;
  /** All text the request carries, for usage counts and for picking a tool by name. */
  readonly prompt: string;
  readonly includeUsage: boolean;
}

export type Turn = { readonly kind: "text"; readonly text: string } | { readonly kind: "tool"; readonly name: string; readonly arguments: string };

/** Ids and times of one answer. */
export interface Reply {
  /** Unique per answer; every id of the answer derives from it. */
  readonly n: number;
  /** Unix seconds. */
  readonly created: number;
  readonly model: string;
  readonly promptTokens: number;
}

export function countWords(text: string): number {
  return text.split(/\s+/).filter(Boolean).length;
}

/** Splits a reply into word-sized deltas so a stream has several content events. */
function streamPieces(text: string): string[] {
  return text.match(/\S+\s*/g) ?? [text];
}

// --- reading requests ---------------------------------------------------------

/** The text of a content field: a string, or parts with `text`. */
function contentText(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content
    .map((part) => (isRecord(part) && typeof part["text"] === "string" ? part["text"] : isRecord(part) ? contentText(part["content"]) : ""))
    .join(" ");
}

function toolsOf(api: ModelApi, tools: unknown): ToolSpec[] {
  if (!Array.isArray(tools)) return [];
  const specs: ToolSpec[] = [];
  for (const tool of tools) {
    if (!isRecord(tool)) continue;
    // Chat nests the function; Responses flattens it; Anthropic has no `type` for custom tools.
    const fn = api === "chat-completions" ? tool["function"] : tool;
    if (!isRecord(fn) || typeof fn["name"] !== "string") continue;
    if (api !== "messages" && tool["type"] !== "function") continue;
    specs.push({ name: fn["name"], schema: api === "messages" ? fn["input_schema"] : fn["parameters"] });
  }
  return specs;
}

/** The tool result an item carries, in each API's own form. */
function toolResultOf(api: ModelApi, item: Record<string, unknown>): string | undefined {
  switch (api) {
    case "chat-completions":
      return item["role"] === "tool" ? contentText(item["content"]) : undefined;
    case "responses":
      return item["type"] === "function_call_output" ? contentText(item["output"]) : undefined;
    case "messages": {
      const blocks = item["role"] === "user" && Array.isArray(item["content"]) ? (item["content"] as unknown[]) : [];
      const result = blocks.find((b) => isRecord(b) && b["type"] === "tool_result");
      return isRecord(result) ? contentText(result["content"]) : undefined;
    }
  }
}

/**
 * The tool result that answers the conversation's last model step, if one does. User-side text after
 * it does not hide it: agents append context of their own behind tool results (OpenClaw does).
 */
function endingToolResult(api: ModelApi, items: readonly unknown[]): string | undefined {
  for (let i = items.length - 1; i >= 0; i--) {
    const item = items[i];
    if (!isRecord(item)) return undefined;
    const result = toolResultOf(api, item);
    if (result !== undefined) return result;
    // Only the user's (or the system's) own messages may follow a tool result.
    const role = item["role"];
    if (role !== "user" && role !== "system" && role !== "developer") return undefined;
  }
  return undefined;
}

/** The conversation of a request body, or a reason it is not one. */
export function readConversation(api: ModelApi, body: Record<string, unknown>): Conversation | string {
  const model = body["model"];
  if (typeof model !== "string" || model === "") return "Request body must have a string `model`.";
  let items: unknown[];
  let prompt: string;
  if (api === "responses") {
    const input = body["input"];
    if (typeof input !== "string" && !Array.isArray(input)) return "Request body must have an `input` string or array.";
    items = typeof input === "string" ? [] : input;
    prompt = [typeof body["instructions"] === "string" ? body["instructions"] : "", typeof input === "string" ? input : ""]
      .concat(items.map((item) => (isRecord(item) ? contentText(item["content"] ?? item["output"]) : "")))
      .join(" ");
  } else {
    if (!Array.isArray(body["messages"])) return "Request body must have a `messages` array.";
    items = body["messages"];
    prompt = [typeof body["system"] === "string" ? body["system"] : ""]
      .concat(items.map((m) => (isRecord(m) ? contentText(m["content"]) : "")))
      .join(" ");
  }
  const streamOptions = body["stream_options"];
  return {
    model,
    stream: body["stream"] === true,
    tools: toolsOf(api, body["tools"]),
    toolResult: endingToolResult(api, items),
    prompt,
    includeUsage: isRecord(streamOptions) && streamOptions["include_usage"] === true,
  };
}

/** Arguments that satisfy a simple JSON Schema: its required properties, with defaults, examples or typed samples. */
export function sampleArguments(schema: unknown): Record<string, unknown> {
  if (!isRecord(schema) || !isRecord(schema["properties"])) return {};
  const properties = schema["properties"];
  const required = Array.isArray(schema["required"]) ? schema["required"].filter((r): r is string => typeof r === "string") : [];
  // From entries and own properties only: a property named __proto__ is an ordinary argument.
  return Object.fromEntries(required.map((name) => [name, sampleValue(Object.hasOwn(properties, name) ? properties[name] : undefined)]));
}

function sampleValue(schema: unknown): unknown {
  if (!isRecord(schema)) return "emulator";
  if ("default" in schema) return schema["default"];
  if (Array.isArray(schema["examples"]) && schema["examples"].length > 0) return schema["examples"][0];
  if (Array.isArray(schema["enum"]) && schema["enum"].length > 0) return schema["enum"][0];
  const type = Array.isArray(schema["type"]) ? schema["type"][0] : schema["type"];
  switch (type) {
    case "integer":
    case "number":
      return 1;
    case "boolean":
      return true;
    case "array":
      return [];
    case "object":
      return sampleArguments(schema);
    default:
      return "emulator";
  }
}

const DIRECTIVE = "mantle-emulator: call ";

/**
 * `mantle-emulator: call <tool> <base64url of the JSON arguments>` in a prompt, naming an offered tool:
 * how a test of a real agent makes the emulator run a command of its choosing. base64url because
 * agents quote, escape or wrap the user's text in their own formats. The last such line wins.
 */
function directedCall(conversation: Conversation): Turn | undefined {
  const at = conversation.prompt.lastIndexOf(DIRECTIVE);
  if (at === -1) return undefined;
  const [, name = "", encoded = ""] = /^(\S+) ([A-Za-z0-9_-]+)/.exec(conversation.prompt.slice(at + DIRECTIVE.length)) ?? [];
  if (!conversation.tools.some((t) => t.name === name)) return undefined;
  try {
    const args: unknown = JSON.parse(Buffer.from(encoded, "base64url").toString("utf8"));
    return isRecord(args) ? { kind: "tool", name, arguments: JSON.stringify(args) } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A tool call when tools are offered and no result came back yet (the one a directive names, else
 * the tool named in the prompt, else the first); text otherwise.
 */
export function planTurn(conversation: Conversation, greeting: string): Turn {
  if (conversation.toolResult !== undefined) {
    return { kind: "text", text: `The tool returned: ${conversation.toolResult.slice(0, 200)}` };
  }
  const directed = directedCall(conversation);
  if (directed !== undefined) return directed;
  const tool = conversation.tools.find((t) => conversation.prompt.includes(t.name)) ?? conversation.tools[0];
  if (tool === undefined) return { kind: "text", text: greeting };
  return { kind: "tool", name: tool.name, arguments: JSON.stringify(sampleArguments(tool.schema)) };
}

/** Cuts JSON arguments in two, so a stream carries them as several fragments the client concatenates. */
function argumentPieces(args: string): string[] {
  const half = Math.ceil(args.length / 2);
  return args.length < 2 ? [args] : [args.slice(0, half), args.slice(half)];
}

function outputTokens(turn: Turn): number {
  return Math.max(1, countWords(turn.kind === "text" ? turn.text : `${turn.name} ${turn.arguments}`));
}

const dataFrame = (value: unknown): string => `data: ${JSON.stringify(value)}\n\n`;
/** Anthropic's SDK skips frames without an `event:` line, so named frames carry one always. */
const namedFrame = (value: { type: string } & Record<string, unknown>): string => `event: ${value.type}\ndata: ${JSON.stringify(value)}\n\n`;

// --- Chat Completions -----------------------------------------------------------

function chatUsage(reply: Reply, turn: Turn): Record<string, number> {
  const completion = outputTokens(turn);
  return { prompt_tokens: reply.promptTokens, completion_tokens: completion, total_tokens: reply.promptTokens + completion };
}

function chatToolCall(reply: Reply, turn: Turn & { kind: "tool" }, args: string): Record<string, unknown> {
  return { id: `call_emu_${reply.n}`, type: "function", function: { name: turn.name, arguments: args } };
}

export function chatCompletion(reply: Reply, turn: Turn): unknown {
  const message =
    turn.kind === "text"
      ? { role: "assistant", content: turn.text, refusal: null }
      : { role: "assistant", content: null, refusal: null, tool_calls: [chatToolCall(reply, turn, turn.arguments)] };
  return {
    id: `chatcmpl-emu-${reply.n}`,
    object: "chat.completion",
    created: reply.created,
    model: reply.model,
    choices: [{ index: 0, message, finish_reason: turn.kind === "text" ? "stop" : "tool_calls", logprobs: null }],
    usage: chatUsage(reply, turn),
  };
}

/** SSE frames of a streamed chat completion: one id throughout, a role first, a finish reason last, then [DONE]. */
export function chatStream(reply: Reply, turn: Turn, includeUsage: boolean): string[] {
  const base = { id: `chatcmpl-emu-${reply.n}`, object: "chat.completion.chunk", created: reply.created, model: reply.model };
  const chunk = (delta: Record<string, unknown>, finish: string | null): string =>
    dataFrame({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const frames =
    turn.kind === "text"
      ? [chunk({ role: "assistant", content: "" }, null), ...streamPieces(turn.text).map((piece) => chunk({ content: piece }, null)), chunk({}, "stop")]
      : [
          chunk({ role: "assistant", content: null, tool_calls: [{ index: 0, ...chatToolCall(reply, turn, "") }] }, null),
          ...argumentPieces(turn.arguments).map((piece) => chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }, null)),
          chunk({}, "tool_calls"),
        ];
  if (includeUsage) frames.push(dataFrame({ ...base, choices: [], usage: chatUsage(reply, turn) }));
  frames.push("data: [DONE]\n\n");
  return frames;
}

// --- Responses ------------------------------------------------------------------

function responseItem(reply: Reply, turn: Turn, done: boolean): Record<string, unknown> {
  const status = done ? "completed" : "in_progress";
  if (turn.kind === "tool") {
    return { type: "function_call", id: `fc_emu_${reply.n}`, call_id: `call_emu_${reply.n}`, name: turn.name, arguments: done ? turn.arguments : "", status };
  }
  return { type: "message", id: `msg_emu_${reply.n}`, status, role: "assistant", content: done ? [outputText(turn.text)] : [] };
}

const outputText = (text: string): Record<string, unknown> => ({ type: "output_text", text, annotations: [] });

function responseEnvelope(reply: Reply, turn: Turn, done: boolean): Record<string, unknown> {
  const completion = outputTokens(turn);
  return {
    id: `resp_emu_${reply.n}`,
    object: "response",
    created_at: reply.created,
    status: done ? "completed" : "in_progress",
    model: reply.model,
    output: done ? [responseItem(reply, turn, true)] : [],
    error: null,
    incomplete_details: null,
    instructions: null,
    metadata: {},
    parallel_tool_calls: true,
    temperature: null,
    top_p: null,
    tool_choice: "auto",
    tools: [],
    usage: done
      ? {
          input_tokens: reply.promptTokens,
          input_tokens_details: { cached_tokens: 0 },
          output_tokens: completion,
          output_tokens_details: { reasoning_tokens: 0 },
          total_tokens: reply.promptTokens + completion,
        }
      : null,
  };
}

export function responseObject(reply: Reply, turn: Turn): unknown {
  return responseEnvelope(reply, turn, true);
}

/** SSE frames of a streamed response: `response.created` first, the full response in `response.completed` last. */
export function responseStream(reply: Reply, turn: Turn): string[] {
  const events: Array<Record<string, unknown> & { type: string }> = [
    { type: "response.created", response: responseEnvelope(reply, turn, false) },
    { type: "response.in_progress", response: responseEnvelope(reply, turn, false) },
    { type: "response.output_item.added", output_index: 0, item: responseItem(reply, turn, false) },
  ];
  const item = responseItem(reply, turn, true);
  const at = { item_id: item["id"], output_index: 0 };
  if (turn.kind === "tool") {
    for (const delta of argumentPieces(turn.arguments)) events.push({ type: "response.function_call_arguments.delta", ...at, delta });
    events.push({ type: "response.function_call_arguments.done", ...at, name: turn.name, arguments: turn.arguments });
  } else {
    const part = { ...at, content_index: 0 };
    events.push({ type: "response.content_part.added", ...part, part: outputText("") });
    for (const delta of streamPieces(turn.text)) events.push({ type: "response.output_text.delta", ...part, delta, logprobs: [] });
    events.push({ type: "response.output_text.done", ...part, text: turn.text, logprobs: [] });
    events.push({ type: "response.content_part.done", ...part, part: outputText(turn.text) });
  }
  events.push({ type: "response.output_item.done", output_index: 0, item });
  events.push({ type: "response.completed", response: responseEnvelope(reply, turn, true) });
  return events.map((event, sequence_number) => namedFrame({ ...event, sequence_number }));
}

// --- Anthropic Messages -----------------------------------------------------------

/** A tool turn says a few words first, as Claude does, then the tool_use block. */
function anthropicBlocks(reply: Reply, turn: Turn): Array<Record<string, unknown>> {
  if (turn.kind === "text") return [{ type: "text", text: turn.text }];
  return [
    { type: "text", text: `Calling ${turn.name}.` },
    { type: "tool_use", id: `toolu_emu_${reply.n}`, name: turn.name, input: JSON.parse(turn.arguments) as unknown },
  ];
}

export function anthropicMessage(reply: Reply, turn: Turn): unknown {
  return {
    id: `msg_emu_${reply.n}`,
    type: "message",
    role: "assistant",
    model: reply.model,
    content: anthropicBlocks(reply, turn),
    stop_reason: turn.kind === "text" ? "end_turn" : "tool_use",
    stop_sequence: null,
    usage: { input_tokens: reply.promptTokens, output_tokens: outputTokens(turn) },
  };
}

/** SSE frames of a streamed message: message_start, each block's start/deltas/stop, message_delta, message_stop. */
export function anthropicStream(reply: Reply, turn: Turn): string[] {
  const message = anthropicMessage(reply, turn) as Record<string, unknown>;
  const events: Array<{ type: string } & Record<string, unknown>> = [
    {
      type: "message_start",
      message: { ...message, content: [], stop_reason: null, usage: { input_tokens: reply.promptTokens, output_tokens: 1 } },
    },
    { type: "ping" },
  ];
  anthropicBlocks(reply, turn).forEach((block, index) => {
    if (block["type"] === "text") {
      events.push({ type: "content_block_start", index, content_block: { type: "text", text: "" } });
      for (const text of streamPieces(String(block["text"]))) {
        events.push({ type: "content_block_delta", index, delta: { type: "text_delta", text } });
      }
    } else {
      events.push({ type: "content_block_start", index, content_block: { ...block, input: {} } });
      for (const partial_json of argumentPieces(turn.kind === "tool" ? turn.arguments : "")) {
        events.push({ type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } });
      }
    }
    events.push({ type: "content_block_stop", index });
  });
  events.push({ type: "message_delta", delta: { stop_reason: message["stop_reason"], stop_sequence: null }, usage: { output_tokens: outputTokens(turn) } });
  events.push({ type: "message_stop" });
  return events.map(namedFrame);
}
