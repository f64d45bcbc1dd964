import { join } from "node:path";
import type { Fixture } from "../fixture.js";
import { BENCH_DIR, log, median, round, runTimed, type Exited, type Figure } from "../lib.js";

/** With jose and the metrics package in the bundle and the identity policies loading beside the keys: the cold start may grow this much at most. */
const TARGET_RATIO = 1.15;

type Kind = "bundle" | "baseline" | "bare" | "limitedBundle" | "limitedBaseline";

interface Run {
  wallMs: number;
  timings?: Record<string, number>;
}

function parseTimings(run: Exited): Record<string, number> {
  const line = run.stdout.split("\n").find((l) => l.startsWith("@@cold "));
  if (run.code !== 0 || line === undefined) {
    throw new Error(`cold-start child failed (exit ${run.code}):\n${run.stderr}\n${run.stdout.slice(-2000)}`);
  }
  return JSON.parse(line.slice("@@cold ".length)) as Record<string, number>;
}

/**
 * Cold init: a fresh node process per run, spawn to exit. The three kinds run interleaved,
 * round after round, so that drift on the machine hits them alike; one discarded round first
 * warms the file cache. Medians of `rounds` runs each.
 */
export async function benchColdInit(fixture: Fixture, apiBundle: string, rounds = 10): Promise<Figure[]> {
  const argsOf: Record<Kind, string[]> = {
    bundle: [join(BENCH_DIR, "children/cold-bundle.mjs"), apiBundle, fixture.apiKey],
    baseline: [join(BENCH_DIR, "children/cold-baseline.mjs")],
    bare: ["-e", "0"],
    limitedBundle: [join(BENCH_DIR, "children/cold-bundle.mjs"), apiBundle, fixture.apiKey],
    limitedBaseline: [join(BENCH_DIR, "children/cold-baseline.mjs"), "limits"],
  };
  const envOf = (kind: Kind): NodeJS.ProcessEnv => (kind.startsWith("limited") ? fixture.limitsEnv : fixture.env);
  const runs: Record<Kind, Run[]> = { bundle: [], baseline: [], bare: [], limitedBundle: [], limitedBaseline: [] };
  const kinds: Kind[] = ["bundle", "baseline", "bare", "limitedBundle", "limitedBaseline"];
  for (let round = 0; round <= rounds; round++) {
    // Rotate the order so no kind always runs right after another.
    const order = kinds.map((_, i) => kinds[(i + round) % kinds.length] as Kind);
    for (const kind of order) {
      const exited = await runTimed(process.execPath, argsOf[kind], envOf(kind));
      if (exited.code !== 0) throw new Error(`${kind} cold run failed: ${exited.stderr}`);
      const run: Run = { wallMs: exited.wallMs };
      if (kind !== "bare") run.timings = parseTimings(exited);
      if (round > 0) runs[kind].push(run);
    }
  }
  log(`cold init: ${rounds} runs of each kind done`);

  const wall = (kind: Kind): number => median(runs[kind].map((r) => r.wallMs));
  const inner = (kind: Kind, name: string): number => round(median(runs[kind].map((r) => r.timings?.[name] ?? 0)), 1);
  const bundle = wall("bundle");
  const baseline = wall("baseline");
  const bare = wall("bare");
  const limitedBundle = wall("limitedBundle");
  const limitedBaseline = wall("limitedBaseline");
  return [
    {
      section: "cold init",
      name: "bundle: import + keys from SSM + first /healthz + first token (median wall ms)",
      value: round(bundle, 1),
      unit: "ms",
      baseline: { name: "import client-ssm + token generator, 1 GetParametersByPath, 1 mint", value: round(baseline, 1) },
      ratio: round(bundle / baseline),
      target: { text: `<= ${TARGET_RATIO}x baseline`, met: bundle / baseline <= TARGET_RATIO },
      detail: {
        "bundle import incl. key load ms": inner("bundle", "importMs"),
        "bundle first /healthz ms": inner("bundle", "healthzMs"),
        "bundle first token ms": inner("bundle", "tokenMs"),
        "baseline imports ms": inner("baseline", "importMs"),
        "baseline GetParametersByPath ms": inner("baseline", "ssmMs"),
        "baseline mint ms": inner("baseline", "tokenMs"),
        "node bootstrap ms (bundle run)": inner("bundle", "bootMs"),
        runs: rounds,
      },
    },
    {
      section: "cold init",
      name: "bundle cold init vs bare `node -e 0` (median wall ms)",
      value: round(bundle, 1),
      unit: "ms",
      baseline: { name: "node -e 0", value: round(bare, 1) },
      ratio: round(bundle / bare),
      detail: { "baseline process vs node -e 0": round(baseline / bare) },
    },
    {
      section: "cold init",
      name: "bundle with fleet limits (DynamoDB fake): import + keys + first /healthz + first token (median wall ms)",
      value: round(limitedBundle, 1),
      unit: "ms",
      baseline: { name: "the baseline plus client-dynamodb imported and 2 UpdateItems", value: round(limitedBaseline, 1) },
      ratio: round(limitedBundle / limitedBaseline),
      detail: { "bundle first token ms (2 writes)": inner("limitedBundle", "tokenMs"), "baseline writes ms": inner("limitedBaseline", "ssmMs") },
    },
  ];
}
