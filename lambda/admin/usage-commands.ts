import { DynamoDBClient, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { UsageError } from "../errors.js";
import { DynamoDbCounters, FileCounters, utcDay, type UsageSource } from "../limits/index.js";
import { parameterPaths, type ParameterStore } from "../store/index.js";
import { out, table, type Command, type Options } from "./command.js";

/**
 * Where `usage` reads: the local server's counters file with `--local`, else the deployment's limits
 * table, whose name the stack writes to `<prefix>/limits-table`.
 */
export function usageSource(store: ParameterStore, prefix: string, options: Options): UsageSource {
  if (options.local) return new FileCounters(options["data-dir"]);
  return {
    async day(day) {
      const name = await store.get(parameterPaths(prefix).limitsTable);
      if (name === undefined) throw new Error(`no limits table is deployed under ${prefix} (${parameterPaths(prefix).limitsTable} is missing): fleetLimits is off`);
      // The table is in the stack's region, as its parameters are (--region, else the AWS config's).
      const client = new DynamoDBClient(options.region === undefined ? {} : { region: options.region });
      try {
        return await new DynamoDbCounters(async () => ({ client, UpdateItemCommand, QueryCommand }), name).day(day);
      } finally {
        client.destroy();
      }
    },
  };
}

/** `mantle-vend-admin usage`: one command, run without a subcommand name. */
export const USAGE_COMMANDS: Record<string, Command<UsageSource>> = {
  show: {
    help: `  usage [--day YYYY-MM-DD] [--local]
              each principal's mints that UTC day (default today) and its quota`,
    flags: ["day"],
    async run(source, options, args) {
      if (args.length > 0) throw new UsageError("usage takes no arguments; pick the day with --day YYYY-MM-DD");
      const day = options.day ?? utcDay(Date.now());
      const midnight = Date.parse(`${day}T00:00:00Z`);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(day) || Number.isNaN(midnight) || utcDay(midnight) !== day) throw new UsageError(`--day takes a UTC day as YYYY-MM-DD, got "${day}"`);
      const rows = (await source.day(day)).sort((a, b) => b.mints - a.mints || (a.principal < b.principal ? -1 : 1));
      out(table(["PRINCIPAL", "NAME", "MINTS", "QUOTA"], rows.map((row) => [row.principal, row.name, String(row.mints), row.quota === null ? "-" : String(row.quota)])));
    },
  },
};
