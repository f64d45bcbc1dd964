import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import pkg from "../../package.json" with { type: "json" };
import { EMULATOR_CREDENTIALS, MantleEmulator } from "./mantle-emulator.js";
import { KeyAdmin } from "../admin/index.js";
import { loadConfig } from "../config.js";
import { defaultCredentialSource, staticCredentialSource, type CredentialSource } from "../tokens/index.js";
import { createLogger } from "../logger.js";
import { createService } from "../service.js";
import { FileCounters } from "../limits/index.js";
import { FileParameterStore } from "../store/index.js";
import { emulatorPortFile, readEmulatorPort, saveEmulatorPort } from "./emulator-port.js";
import { createLocalServer } from "./server.js";

function parseOptions() {
  try {
    return parseArgs({
      options: {
        port: { type: "string", default: "8787" },
        host: { type: "string", default: "127.0.0.1" },
        "data-dir": { type: "string", default: ".mantle-vend" },
        offline: { type: "boolean", default: false },
      },
    }).values;
  } catch (error) {
    refuse(`${error instanceof Error ? error.message : String(error)} (options: --port, --host, --data-dir, --offline)`, 2);
  }
}
const values = parseOptions();

/** Real AWS credentials if the default chain yields any within a few seconds. */
async function awsCredentialsAvailable(): Promise<boolean> {
  const attempt = fromNodeProviderChain()().then(() => true, () => false);
  const timeout = new Promise<boolean>((done) => setTimeout(() => done(false), 5_000).unref());
  return Promise.race([attempt, timeout]);
}

/** One line on stderr and a non-zero exit, before anything was created. */
function refuse(line: string, code = 1): never {
  process.stderr.write(`mantle-vend: ${line}\n`);
  process.exit(code);
}

function listenError(error: unknown, what: string, hint: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === "EADDRINUSE") return `${what} is already in use; ${hint}`;
  return `cannot listen on ${what}: ${code ?? (error instanceof Error ? error.message : String(error))}`;
}

if (!/^\d{1,5}$/.test(values.port) || Number(values.port) > 65_535) refuse(`--port needs a port number (0-65535), got "${values.port}"`, 2);
const dataDir = resolve(values["data-dir"]);
const online = !values.offline && (await awsCredentialsAvailable());
let credentials: CredentialSource = defaultCredentialSource();
let emulator: MantleEmulator | undefined;
let savedEmulatorPort: number | undefined;
if (!online) {
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
    );
  }
  credentials = staticCredentialSource(EMULATOR_CREDENTIALS);
}

const config = loadConfig({
  // A development machine's identity provider (a local Keycloak, a test issuer) speaks plain http.
  MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1",
  ...process.env,
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
  refuse(listenError(error, `${values.host}:${values.port}`, "is mantle-vend already running? Stop it or choose another --port"));
}

// Both ports are ours: only now does anything get written to the data dir.
if (emulator !== undefined) {
  const why = values.offline ? "--offline" : "no AWS credentials found";
  process.stderr.write(`${why}: signing with local credentials for the bundled Mantle emulator at ${emulator.url}\n`);
  const port = Number(new URL(emulator.url).port);
  if (port !== savedEmulatorPort) await saveEmulatorPort(dataDir, port);
}
const admin = new KeyAdmin(store, config.parameterPrefix);
if ((await admin.list()).length === 0) {
  const { key } = await admin.create({ name: "local" });
  // Printed once, outside the structured log: the newcomer needs it to make a first call.
  process.stderr.write(`created your first API key (kept hashed in ${dataDir}; shown only this once):\n`);
  process.stdout.write(`${key}\n`);
}

const address = server.address();
const port = typeof address === "object" && address !== null ? address.port : values.port;
process.stderr.write(`mantle-vend ${pkg.version} listening on http://${values.host}:${port}\n`);

const stop = (): void => {
  server.close();
  server.closeAllConnections();
  void emulator?.close();
  // The last counts are written before the process ends.
  void counters.settled();
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
