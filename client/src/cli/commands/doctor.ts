import { lstatSync } from "node:fs";
import type { MantleVendClient } from "../../client.js";
import { mantleRouteOf } from "../../mantle-root.js";
import { plan } from "../../setup/config-file.js";
import { findSetupTool } from "../../setup/index.js";
import { defaultCacheDir } from "../../token-cache.js";
import type { Catalog } from "../../types.js";
import { VERSION } from "../../version.js";
import type { Command } from "../command.js";
import { describeFailure, exitCodeFor } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { stdout } from "../output.js";
import { buildSetup } from "../setup-build.js";
import { readSetupRecords, type SetupRecord } from "../setup-record.js";
import { clientFor, proxyUrlFlag, type Settings } from "../settings.js";

/** A local clock further than this from the service's is reported. */
const MAX_SKEW_SECONDS = 60;
/** Every request of doctor: short, and not retried, so a broken service is reported quickly. */
const TIMEOUT_MS = 5_000;

/** One check's verdict: what passed, or what failed, the fix, and the exit code it stands for. */
type Verdict = { ok: true; line: string } | { ok: false; line: string; fix: string; code: number };

const pass = (line: string): Verdict => ({ ok: true, line });
const fail = (line: string, fix: string, code: number): Verdict => ({ ok: false, line, fix, code });

/** A failure of the client, as one check's verdict. */
function failed(what: string, error: unknown, fix: string): Verdict {
  return fail(`${what}: ${describeFailure(error)}`, fix, exitCodeFor(error));
}

/** `GET <url>/healthz`: its JSON and its Date header. */
async function health(url: string): Promise<{ json: Record<string, unknown>; date: string | null; at: number }> {
  const answer = await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: "manual" });
  const at = Date.now();
  if (!answer.ok) throw new Error(`HTTP ${answer.status} from ${url}/healthz`);
  return { json: (await answer.json()) as Record<string, unknown>, date: answer.headers.get("date"), at };
}

/** Why a URL could not be reached: the socket's error code, else what fetch's cause says. */
function reachFailure(error: unknown): string {
  const cause = error instanceof Error ? error.cause : undefined;
  if (cause instanceof Error) return typeof (cause as NodeJS.ErrnoException).code === "string" ? ((cause as NodeJS.ErrnoException).code as string) : cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** "3 min 5 s" */
function duration(seconds: number): string {
  const s = Math.round(Math.abs(seconds));
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** The command that rewrites a recorded config as it was written. */
function setupCommand(record: SetupRecord): string {
  const args = [`--region ${record.region}`, ...(record.proxy === undefined ? [] : [`--proxy ${record.proxy}`]), ...(record.model === undefined ? [] : [`--model ${record.model}`]), ...(record.asDefault ? ["--default"] : [])];
  return `mantle-vend setup ${record.tool} --write --config-file ${record.file} ${args.join(" ")}`;
}

class Doctor {
  readonly verdicts: Verdict[] = [];

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  add(verdict: Verdict): void {
    this.verdicts.push(verdict);
    stdout(verdict.ok ? `✓ ${verdict.line}\n` : `✗ ${verdict.line}\n    fix: ${verdict.fix}\n`);
  }

  async service(s: Settings): Promise<void> {
    let seen: Awaited<ReturnType<typeof health>>;
    try {
      seen = await health(s.url);
    } catch (error) {
      this.add(fail(`service ${s.url}: cannot reach it (${reachFailure(error)})`, "check MANTLE_VEND_URL (npm start prints its URL; a deployment's is the stack's FunctionUrl output) and that the service is up", EXIT.UNREACHABLE));
      this.add(fail("clock: no answer from the service to compare with", "reach the service first", EXIT.UNREACHABLE));
      return;
    }
    this.add(pass(`service ${s.url}: mantle-vend ${String(seen.json["version"] ?? "(version unknown)")} (this CLI ${VERSION})`));
    const date = seen.date === null ? NaN : Date.parse(seen.date);
    if (Number.isNaN(date)) {
      this.add(pass("clock: the service sent no Date to compare with"));
      return;
    }
    // The Date header has whole seconds: half a second of it is rounding.
    const skew = (seen.at - date) / 1000;
    const way = skew > 0 ? "ahead of" : "behind";
    if (Math.abs(skew) <= MAX_SKEW_SECONDS) this.add(pass(`clock: within ${duration(skew)} of the service's`));
    else this.add(fail(`clock: this machine's clock is ${duration(skew)} ${way} the service's`, "set the clock right (NTP: timedatectl set-ntp true); identity tokens and logs need it", EXIT.FAILURE));
  }

  async credential(client: MantleVendClient): Promise<void> {
    try {
      const who = await client.whoami();
      this.add(pass(`credential: accepted, ${who.kind} "${who.name}" (${who.principal})`));
    } catch (error) {
      this.add(failed("credential", error, "the key is revoked, expired or wrong: ask your operator for a new one (mantle-vend-admin keys create); a login: mantle-vend login"));
    }
  }

  async regions(client: MantleVendClient, s: Settings): Promise<void> {
    try {
      const { regions, defaultRegion } = await client.regions();
      const names = regions.map((r) => r.region);
      const using = s.region ?? defaultRegion ?? "(none)";
      const from = s.regionSource === undefined ? "the service's default for the key" : `from ${s.regionSource}`;
      if (s.region !== undefined && !names.includes(s.region)) {
        this.add(fail(`regions: ${s.region} (${from}) is not one this key may use (${names.join(", ") || "none"})`, `pass --region ${names[0] ?? "<region>"}${s.regionSource === "AWS_REGION" ? ", or change AWS_REGION" : ""}`, EXIT.FORBIDDEN));
      } else this.add(pass(`regions: ${names.join(", ")}; using ${using} (${from})`));
    } catch (error) {
      this.add(failed("regions", error, "reach the service with an accepted key first"));
    }
  }

  async token(client: MantleVendClient): Promise<void> {
    try {
      const token = await client.getToken();
      this.add(pass(`token: mints for ${token.region}, valid ${token.expiresInSeconds} s`));
    } catch (error) {
      this.add(failed("token", error, "see the checks above"));
    }
  }

  async catalog(client: MantleVendClient): Promise<Catalog | undefined> {
    try {
      const catalog = await client.listModels();
      this.add(pass(`catalog ${catalog.region}: ${catalog.models.length} models, checked ${catalog.checkedAt}${catalog.stale ? " (stale: the service could not refresh it lately)" : ""}`));
      return catalog;
    } catch (error) {
      this.add(failed("catalog", error, "see the checks above"));
      return undefined;
    }
  }

  tokenCache(): void {
    const dir = defaultCacheDir(this.env);
    let stat;
    try {
      stat = lstatSync(dir);
    } catch {
      this.add(pass(`token cache ${dir}: not made yet (it is made 0700 on first use)`));
      return;
    }
    const uid = typeof process.getuid === "function" ? process.getuid() : undefined;
    const mode = (stat.mode & 0o777).toString(8).padStart(3, "0");
    if (!stat.isDirectory()) this.add(fail(`token cache ${dir}: not a directory, so no token is cached`, `remove it (rm ${dir}); it is made again on first use`, EXIT.CONFIG));
    else if (uid !== undefined && stat.uid !== uid) this.add(fail(`token cache ${dir}: owned by uid ${stat.uid}, so no token is cached`, `chown ${uid} ${dir}, or set XDG_CACHE_HOME to a directory of yours`, EXIT.CONFIG));
    else if ((stat.mode & 0o077) !== 0) this.add(fail(`token cache ${dir}: mode ${mode}, open to other users`, `chmod 700 ${dir}`, EXIT.CONFIG));
    else this.add(pass(`token cache ${dir}: mode ${mode}, yours`));
  }

  async proxy(url: string): Promise<void> {
    try {
      const { json } = await health(url);
      this.add(pass(`proxy ${url}: answers (mantle-vend ${String(json["version"])}, region ${String(json["region"] ?? "the service's default")}${json["keyRequired"] === true ? ", key required" : ""})`));
    } catch (error) {
      this.add(fail(`proxy ${url}: cannot reach it (${reachFailure(error)})`, `start it: mantle-vend proxy --port ${new URL(url).port || "80"}`, EXIT.UNREACHABLE));
    }
  }

  /** A config setup --write wrote: its models still in the catalog on their route, and its file what setup would write now. */
  config(record: SetupRecord, s: Settings, catalog: Catalog | undefined): void {
    const tool = findSetupTool(record.tool);
    if (tool === undefined || catalog === undefined) {
      this.add(fail(`${record.file}: cannot be checked without ${tool === undefined ? `the tool ${record.tool}` : "the catalog"}`, "see the checks above", EXIT.TOOL_CONFIG));
      return;
    }
    const fix = `write it again: ${setupCommand(record)}`;
    try {
      const output = buildSetup(tool, { proxy: record.proxy, model: record.model, asDefault: record.asDefault, writing: true, configFile: record.file, warn: () => undefined }, catalog, s, this.env);
      const model = catalog.models.find((m) => m.id === output.model);
      const route = model === undefined ? "" : ` (${model.id} on ${mantleRouteOf(model.baseUrl) ?? model.baseUrl})`;
      const stale = plan(output.files).filter((file) => file.after !== file.before);
      if (stale.length === 0) this.add(pass(`${record.file}: ${record.tool} config current${route}`));
      else this.add(fail(`${record.file}: ${record.tool} config out of date (setup would change ${stale.map((f) => f.path).join(", ")})`, fix, EXIT.TOOL_CONFIG));
    } catch (error) {
      this.add(fail(`${record.file}: ${describeFailure(error)}`, fix, EXIT.TOOL_CONFIG));
    }
  }
}

export const doctor: Command = {
  name: "doctor",
  summary: "check everything between this machine and a model, one line per check",
  flags: ["proxy"],
  help: `Checks, one line each, ✓ or ✗ with the fix, and goes on after a failure: the service is reachable (and its
version), the credential is accepted (/v1/whoami), the region in use is one the key may use, a token
mints, this machine's clock is within ${MAX_SKEW_SECONDS} s of the service's, the catalog answers, the token cache
directory is yours and closed to others, the proxy answers /healthz (with --proxy URL), and each config
setup --write wrote is still what setup would write (its models in the catalog, on their routes).
Exit 0 when all pass, else the exit code of the first failure.
`,
  async run(args, { env, settings }) {
    const doc = new Doctor(env);
    const proxy = proxyUrlFlag(args);
    let s: Settings | undefined;
    try {
      s = settings();
    } catch (error) {
      doc.add(fail(`configuration: ${describeFailure(error)}`, "set MANTLE_VEND_URL and MANTLE_VEND_API_KEY (or MANTLE_VEND_API_KEY_FILE)", exitCodeFor(error)));
    }
    let catalog: Catalog | undefined;
    if (s !== undefined) {
      const client = clientFor(s, { cache: false, maxRetries: 0, timeoutMs: TIMEOUT_MS });
      await doc.service(s);
      await doc.credential(client);
      await doc.regions(client, s);
      await doc.token(client);
      catalog = await doc.catalog(client);
    }
    doc.tokenCache();
    if (proxy !== undefined) await doc.proxy(proxy);
    const records = readSetupRecords(env);
    if (records.length === 0) doc.add(pass("tool configs: none written by setup --write on this machine"));
    for (const record of records) {
      if (s === undefined) doc.add(fail(`${record.file}: cannot be checked without the service`, "see the checks above", EXIT.TOOL_CONFIG));
      else {
        const recordCatalog = record.region === catalog?.region ? catalog : await clientFor({ ...s, region: record.region }, { cache: false, maxRetries: 0, timeoutMs: TIMEOUT_MS }).listModels().catch(() => undefined);
        doc.config(record, { ...s, region: record.region }, recordCatalog);
      }
    }
    const first = doc.verdicts.find((v) => !v.ok);
    return first === undefined || first.ok ? EXIT.OK : first.code;
  },
};
