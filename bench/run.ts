// `npm run bench`: every figure next to its baseline, measured in the same run on this machine.
// Prints a table (stdout) and writes bench/results.json. Progress goes to stderr.
import { rm, writeFile } from "node:fs/promises";
import { cpus, platform, release } from "node:os";
import { join, relative, sep } from "node:path";
import { synthesizeBundle } from "../test/support/bundle.js";
import { startFixture } from "./fixture.js";
import { BENCH_DIR, log, REPO_ROOT, round, type Figure } from "./lib.js";
import { benchBundle } from "./sections/bundle.js";
import { benchCalls } from "./sections/calls.js";
import { benchClient } from "./sections/client.js";
import { benchColdInit } from "./sections/cold.js";
import { benchProxy } from "./sections/proxy.js";
import { benchThroughput } from "./sections/throughput.js";
import { benchWarm } from "./sections/warm.js";

// The in-process sections run the real handler, whose request log lines would bury the table.
// Child processes get their own environment (logging on, as in Lambda, to /dev/null).
process.env.POWERTOOLS_LOG_LEVEL = "SILENT";
process.env.AWS_EC2_METADATA_DISABLED = "true";

const started = performance.now();
const figures: Figure[] = [];
// `npm run bench -- --only client,proxy` runs those sections alone (while working on them); only a
// full run writes bench/results.json.
const onlyArg = process.argv.indexOf("--only");
const only = onlyArg === -1 ? undefined : new Set((process.argv[onlyArg + 1] ?? "").split(","));

async function section(name: string, run: () => Promise<Figure[]>): Promise<void> {
  if (only !== undefined && !only.has(name)) return;
  const t0 = performance.now();
  log(`${name}…`);
  figures.push(...(await run()));
  log(`${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
}

/** cdk.out/test-XXXX, the assembly synthesizeBundle() made for this run. */
function assemblyDirOf(bundle: string): string | undefined {
  const parts = relative(REPO_ROOT, bundle).split(sep);
  return parts[0] === "cdk.out" && parts[1]?.startsWith("test-") ? join(REPO_ROOT, parts[0], parts[1]) : undefined;
}

function formatValue(value: number, unit: string): string {
  return `${value} ${unit}`;
}

function table(rows: string[][]): string {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length))) ?? [];
  const line = (r: string[]): string => `| ${r.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  const [head, ...body] = rows;
  return [line(head ?? []), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}

let assemblyDir: string | undefined;
try {
  if (only === undefined || ["bundle size", "cold init", "warm handler"].some((name) => only.has(name))) {
    log("synthesizing the stack (the bundles cdk deploy would upload)…");
    const { apiBundle } = await synthesizeBundle({}, join(REPO_ROOT, "cdk.out"));
    assemblyDir = assemblyDirOf(apiBundle);
    await section("bundle size", () => benchBundle(apiBundle));
    const fixture = await startFixture();
    try {
      await section("cold init", () => benchColdInit(fixture, apiBundle, 15));
      await section("warm handler", () => benchWarm(fixture, apiBundle));
    } finally {
      await fixture.close();
    }
  }
  await section("local throughput", () => benchThroughput({ durationSeconds: 10, slices: 4, warmupSeconds: 2, connections: 10 }));
  await section("upstream call counts", () => benchCalls());
  await section("client", () => benchClient());
  await section("proxy", () => benchProxy());
} finally {
  if (assemblyDir !== undefined) await rm(assemblyDir, { recursive: true, force: true });
}

const rows: string[][] = [["Section", "Figure", "Value", "Baseline", "Ratio", "Target", "Status"]];
for (const f of figures) {
  rows.push([
    f.section,
    f.name,
    formatValue(f.value, f.unit),
    f.baseline === undefined ? "" : `${formatValue(f.baseline.value, f.unit)} (${f.baseline.name})`,
    f.ratio === undefined ? "" : `${f.ratio}x`,
    f.target?.text ?? "",
    f.target === undefined ? "" : f.target.met ? "met" : "MISSED",
  ]);
}
const targets = figures.filter((f) => f.target !== undefined);
const missed = targets.filter((f) => f.target?.met === false);
const elapsed = (performance.now() - started) / 1000;

const cpu = cpus();
const machine = `${cpu.length} × ${cpu[0]?.model.trim() ?? "unknown CPU"}, ${platform()} ${release()}, Node ${process.version}`;
const details = figures
  .filter((f) => f.detail !== undefined)
  .map((f) => `  ${f.section} / ${f.name}\n${Object.entries(f.detail ?? {}).map(([k, v]) => `      ${k}: ${v}`).join("\n")}`)
  .join("\n");

process.stdout.write(
  [
    "",
    `mantle-vend benchmarks — ${machine}`,
    "",
    table(rows),
    "",
    `Targets: ${targets.length - missed.length} met, ${missed.length} missed${missed.length > 0 ? `: ${missed.map((f) => f.name).join("; ")}` : ""}.`,
    "",
    "Details:",
    details,
    "",
    `Finished in ${elapsed.toFixed(0)} s; ${only === undefined ? `results in ${relative(REPO_ROOT, join(BENCH_DIR, "results.json"))}` : "a partial run (--only) writes no results"}.`,
    "",
  ].join("\n"),
);

if (only === undefined) await writeFile(
  join(BENCH_DIR, "results.json"),
  `${JSON.stringify(
    {
      generatedAt: new Date().toISOString(),
      machine: { cpus: cpu.length, cpuModel: cpu[0]?.model.trim(), platform: platform(), release: release(), node: process.version },
      durationSeconds: round(elapsed, 1),
      targets: { met: targets.length - missed.length, missed: missed.length },
      figures,
    },
    null,
    2,
  )}\n`,
);
