import { mantleRoot, mantleRouteOf } from "../../mantle-root.js";
import type { Catalog } from "../../types.js";
import type { Command } from "../command.js";
import { EXIT } from "../exit-codes.js";
import { stderr, stdout } from "../output.js";
import { clientFor } from "../settings.js";

export const models: Command = {
  name: "models",
  summary: "list the region's models",
  flags: ["json"],
  help: `Prints the region's model catalog as a table (each model's API, route, context window and output
limit), or with --json the server's catalog object.
`,
  async run(args, { settings }) {
    const catalog = await clientFor(settings(), { cache: false }).listModels();
    if (args.flags.has("json")) stdout(`${JSON.stringify(catalog, null, 2)}\n`);
    else {
      stdout(modelsTable(catalog));
      if (catalog.stale) stderr(`note: the ${catalog.region} catalog is stale (last checked ${catalog.checkedAt})`);
    }
    return EXIT.OK;
  },
};

/** Longest cell printed: a catalog is data from elsewhere, and a terminal is not the place for megabytes. */
const MAX_CELL_CHARS = 80;

/**
 * A catalog value made safe for a terminal: control characters (escape sequences among them)
 * and bidirectional overrides are shown escaped, never emitted, and long values are cut.
 */
function terminalSafe(value: string): string {
  const escaped = value.replace(/[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  });
  return escaped.length > MAX_CELL_CHARS ? `${escaped.slice(0, MAX_CELL_CHARS - 1)}…` : escaped;
}

/** YYYY-MM-DD of unix seconds, or "-" for anything that is not a date (1e15 is year 31 million). */
function dayOf(created: number | null): string {
  if (created === null) return "-";
  const date = new Date(created * 1000);
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() > 9999 ? "-" : date.toISOString().slice(0, 10);
}

function modelsTable(catalog: Catalog): string {
  const root = mantleRoot(catalog.baseUrl);
  const rows = catalog.models.map((m) => [
    terminalSafe(m.id),
    terminalSafe(m.apis.join(",")),
    // The model's Mantle route (/v1, /openai/v1, /anthropic); a model served elsewhere shows its base URL.
    terminalSafe(mantleRoot(m.baseUrl) === root ? (mantleRouteOf(m.baseUrl) ?? m.baseUrl) : m.baseUrl),
    m.contextWindow === null ? "-" : String(m.contextWindow),
    m.maxOutputTokens === null ? "-" : String(m.maxOutputTokens),
    m.reasoning ? "yes" : "no",
    typeof m.ownedBy === "string" && m.ownedBy !== "" ? terminalSafe(m.ownedBy) : "-",
    dayOf(m.created),
  ]);
  const header = ["MODEL", "API", "ROUTE", "CONTEXT", "MAX OUTPUT", "REASONING", "OWNED BY", "CREATED"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] as string).length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] as number))).join("  ");
  return `${[header, ...rows].map(line).join("\n")}\n`;
}
