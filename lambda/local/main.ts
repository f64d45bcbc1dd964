import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import pkg from "../../package.json" with { type: "json" };
import { EMULATOR_CREDENTIALS, MantleEmulator } from "./mantle-emulator.js";
import { KeyAdmin } from "../admin/index.js";
import { loadConfig } from "../config.js";
import { ConfigError } from "../errors.js";
import { defaultCredentialSource, staticCredentialSource, type CredentialSource } from "../tokens/index.js";
import { createLogger } from "../logger.js";
import { createService } from "../service.js";
import { FileCounters } from "../limits/index.js";
import { FileParameterStore } from "../store/index.js";
import { emulatorPortFile, readEmulatorPort, saveEmulatorPort } from "./emulator-port.js";
import { credentialSource, modeLine, offlineRequest, strayArguments } from "./mode.js";
import { createLocalServer } from "./server.js";

/** Exit codes: 1 a port cannot be had, 2 a bad command line, 3 a bad environment value. */
const EXIT = { LISTEN: 1, USAGE: 2, CONFIG: 3 } as const;

/** One line on stderr and a non-zero exit, before anything was created. */
function refuse(line: string, code: number): never {
  process.stderr.write(`mantle-vend: ${line}\n`);
  process.exit(code);
}

function parseOptions() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        port: { type: "string", default: "8787" },
        host: { type: "string", default: "127.0.0.1" },
        "data-dir": { type: "string", default: ".mantle-vend" },
        offline: { type: "boolean", default: false },
      },
    });
  } catch (error) {
    refuse(`${error instanceof Error ? (error.message.split(/\.|\n/)[0] ?? error.message) : String(error)} (options: --port, --host, --data-dir, --offline)`, EXIT.USAGE);
  }
  const stray = strayArguments(parsed.positionals, process.env);
  if (stray !== undefined) refuse(stray, EXIT.USAGE);
  return parsed.values;
}

/** A bad environment value: the one line ConfigError carries, never a stack trace. */
function checked<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) refuse(error.message, EXIT.CONFIG);
    throw error;
  }
}

/** Where the default chain's credentials come from, if it yields any within a few seconds. */
async function awsCredentials(): Promise<string | undefined> {
  const attempt = fromNodeProviderChain()().then(
    (found) => credentialSource((found as { $source?: Record<string, unknown> }).$source, process.env),
    () => undefined,
  );
  const timeout = new Promise<undefined>((done) => setTimeout(() => done(undefined), 5_000).unref());
  return Promise.race([attempt, timeout]);
}

function listenError(error: unknown, what: string, hint: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return `${what} is already in use; ${hint}`;
  return `cannot listen on ${what}: ${code ?? (error instanceof Error ? error.message : String(error))}`;
}

/**
 * The environment the local server reads: the process's, over one development default. A development
 * machine's identity provider (a local Keycloak, a test issuer) speaks plain http; the check before the
 * start and the start itself read the same values.
 */
const localEnv: NodeJS.ProcessEnv = { MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1", ...process.env };

const values = parseOptions();
if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65_535) refuse(`--port needs a port number (0-65535), got "${values.port}"`, EXIT.USAGE);
// The environment is checked before anything starts: a bad value stops here, with nothing created.
const asked = checked(() => offlineRequest(values.offline, process.env));
checked(() => loadConfig(asked === undefined ? localEnv : { ...localEnv, MANTLE_VEND_MANTLE_ENDPOINT: undefined }));
const dataDir = resolve(values["data-dir"]);
const online = asked === undefined ? await awsCredentials() : undefined;
let credentials: CredentialSource = defaultCredentialSource();
let emulator: MantleEmulator | undefined;
let savedEmulatorPort: number | undefined;
if (online === undefined) {
  // The same data dir gets the same emulator address, so tokens cached before a restart keep working.
  savedEmulatorPort = await readEmulatorPort(dataDir);
  try {
    emulator = await MantleEmulator.start({ credentials: [EMULATOR_CREDENTIALS], port: savedEmulatorPort ?? 0 });
  } catch (error) {
    refuse(
      listenError(
        error,
        `the Mantle emulator's port 127.0.0.1:${savedEmulatorPort} (kept in ${emulatorPortFile(dataDir)})`,
        "is another npm start using this data dir? Stop it, use another --data-dir, or delete that file to pick a new port",
      ),
      EXIT.LISTEN,
    );
  }
  credentials = staticCredentialSource(EMULATOR_CREDENTIALS);
}

const config = loadConfig({
  ...localEnv,
  ...(emulator === undefined ? {} : { MANTLE_VEND_MANTLE_ENDPOINT: emulator.endpointTemplate }),
});
const store = new FileParameterStore(dataDir);
const counters = new FileCounters(dataDir);
const { api } = createService({
  config,
  store,
  credentials,
  log: createLogger(),
  version: pkg.version,
  // The fleet's counters in the data dir: limits, quotas and `usage --local` work offline.
  counters,
  // The file store is cheap to read: check it on every request so admin changes show at once.
  configPolling: { pollIntervalMs: 0, blockingPoll: true },
});
const server = createLocalServer(api);
try {
  await new Promise<void>((listening, failed) => {
    server.once("error", failed);
    server.listen(Number(values.port), values.host, () => {
      server.off("error", failed);
      listening();
    });
  });
} catch (error) {
  await emulator?.close();
  refuse(listenError(error, `${values.host}:${values.port}`, "is mantle-vend already running? Stop it or choose another --port"), EXIT.LISTEN);
}

// Both ports are ours: only now does anything get written to the data dir.
if (emulator !== undefined) {
  process.stderr.write(`mantle-vend: ${modeLine({ offline: asked ?? "no AWS credentials found", emulatorUrl: emulator.url })}\n`);
  const port = Number(new URL(emulator.url).port);
  if (port !== savedEmulatorPort) await saveEmulatorPort(dataDir, port);
} else process.stderr.write(`mantle-vend: ${modeLine({ online: online ?? "the default credential chain" })}\n`);
const admin = new KeyAdmin(store, config.parameterPrefix);
if ((await admin.list()).length === 0) {
  const { key } = await admin.create({ name: "local" });
  // Printed once, outside the structured log: the newcomer needs it to make a first call.
  process.stderr.write(`created your first API key (kept hashed in ${dataDir}; shown only this once):\n`);
  process.stdout.write(`${key}\n`);
}

const address = server.address();
const port = typeof address === "object" && address !== null ? address.port : values.port;
const serviceUrl = `http://${values.host}:${port}`;
emulator?.setServiceUrl(serviceUrl);
process.stderr.write(`mantle-vend ${pkg.version} listening on ${serviceUrl}\n`);

const stop = (): void => {
  server.close();
  server.closeAllConnections();
  void emulator?.close();
  // The last counts are written before the process ends.
  void counters.settled();
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
