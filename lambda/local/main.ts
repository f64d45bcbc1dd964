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
import { FileParameterStore } from "../store/index.js";
import { createLocalServer } from "./server.js";

const { values } = parseArgs({
  options: {
    port: { type: "string", default: "8787" },
    host: { type: "string", default: "127.0.0.1" },
    "data-dir": { type: "string", default: ".mantle-vend" },
    offline: { type: "boolean", default: false },
  },
});

/** Real AWS credentials if the default chain yields any within a few seconds. */
async function awsCredentialsAvailable(): Promise<boolean> {
  const attempt = fromNodeProviderChain()().then(() => true, () => false);
  const timeout = new Promise<boolean>((done) => setTimeout(() => done(false), 5_000).unref());
  return Promise.race([attempt, timeout]);
}

const dataDir = resolve(values["data-dir"]);
const online = !values.offline && (await awsCredentialsAvailable());
let credentials: CredentialSource = defaultCredentialSource();
let emulator: MantleEmulator | undefined;
if (!online) {
  emulator = await MantleEmulator.start({ credentials: [EMULATOR_CREDENTIALS] });
  credentials = staticCredentialSource(EMULATOR_CREDENTIALS);
  const why = values.offline ? "--offline" : "no AWS credentials found";
  process.stderr.write(`${why}: signing with local credentials for the bundled Mantle emulator at ${emulator.url}\n`);
}

const config = loadConfig({
  ...process.env,
  ...(emulator === undefined ? {} : { MANTLE_VEND_MANTLE_ENDPOINT: emulator.endpointTemplate }),
});
const store = new FileParameterStore(dataDir);
const admin = new KeyAdmin(store, config.parameterPrefix);
if ((await admin.list()).length === 0) {
  const { key } = await admin.create({ name: "local" });
  // Printed once, outside the structured log: the newcomer needs it to make a first call.
  process.stderr.write(`created your first API key (kept hashed in ${dataDir}; shown only this once):\n`);
  process.stdout.write(`${key}\n`);
}

const { api } = createService({
  config,
  store,
  credentials,
  log: createLogger(),
  version: pkg.version,
  // The file store is cheap to read: check it on every request so admin changes show at once.
  keyPolling: { pollIntervalMs: 0, blockingPoll: true },
});
const server = createLocalServer(api);
server.listen(Number(values.port), values.host, () => {
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : values.port;
  process.stderr.write(`mantle-vend ${pkg.version} listening on http://${values.host}:${port}\n`);
});

const stop = (): void => {
  server.close();
  server.closeAllConnections();
  void emulator?.close();
};
process.once("SIGINT", stop);
process.once("SIGTERM", stop);
