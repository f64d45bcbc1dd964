import { KeyAdmin } from "../lambda/admin/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../lambda/config.js";
import { MantleEmulator } from "../lambda/local/index.js";
import { DynamoDbFake } from "../test/fakes/dynamodb-fake.js";
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
  /** Environment of a Lambda container whose SSM and Mantle are the fakes (no fleet limits). */
  env: NodeJS.ProcessEnv;
  /** The limits table's fake, for the runs with fleet limits on. */
  dynamo: DynamoDbFake;
  /** `env` with fleet limits on: the limits table in the DynamoDB fake. */
  limitsEnv: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

const LIMITS_TABLE = "mantle-vend-limits";

export async function startFixture(): Promise<Fixture> {
  const ssm = await SsmFake.start();
  const emulator = await MantleEmulator.start();
  const admin = new KeyAdmin(ssmStore(ssm), DEFAULT_PARAMETER_PREFIX);
  const { key: apiKey } = await admin.create({ name: "bench" });
  for (const name of ["bench-2", "bench-3", "bench-4"]) await admin.create({ name });
  const dynamo = await DynamoDbFake.start();
  dynamo.createTable(LIMITS_TABLE);
  const env = cleanEnv(bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate }));
  const limitsEnv = { ...env, MANTLE_VEND_LIMITS_TABLE: LIMITS_TABLE, AWS_ENDPOINT_URL_DYNAMODB: dynamo.url };
  return {
    ssm,
    emulator,
    apiKey,
    env,
    dynamo,
    limitsEnv,
    close: async () => {
      await dynamo.close();
      await emulator.close();
      await ssm.close();
    },
  };
}
