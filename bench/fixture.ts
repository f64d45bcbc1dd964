import { KeyAdmin } from "../lambda/admin/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../lambda/config.js";
import { MantleEmulator } from "../lambda/local/index.js";
import { SsmFake } from "../test/fakes/ssm-fake.js";
import { bundleEnv } from "../test/support/bundle.js";
import { ssmStore } from "../test/support/ssm.js";
import { cleanEnv } from "./lib.js";

/** What the bundle-based sections share: the SSM fake with keys in it, the emulator, and the env that points a bundle at them. */
export interface Fixture {
  ssm: SsmFake;
  emulator: MantleEmulator;
  /** A valid API key (one of a few, so the key load is a realistic page). */
  apiKey: string;
  /** Environment of a Lambda container whose SSM and Mantle are the fakes. */
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startFixture(): Promise<Fixture> {
  const ssm = await SsmFake.start();
  const emulator = await MantleEmulator.start();
  const admin = new KeyAdmin(ssmStore(ssm), DEFAULT_PARAMETER_PREFIX);
  const { key: apiKey } = await admin.create({ name: "bench" });
  for (const name of ["bench-2", "bench-3", "bench-4"]) await admin.create({ name });
  const env = cleanEnv(bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate }));
  return {
    ssm,
    emulator,
    apiKey,
    env,
    close: async () => {
      await emulator.close();
      await ssm.close();
    },
  };
}
