import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { IdentityAdmin, KeyAdmin } from "../lambda/admin/index.js";
import { DEFAULT_PARAMETER_PREFIX } from "../lambda/config.js";
import { MantleEmulator } from "../lambda/local/index.js";
import { DynamoDbFake } from "../test/fakes/dynamodb-fake.js";
import { TestIssuer } from "../test/fakes/oidc-issuer.js";
import { SsmFake } from "../test/fakes/ssm-fake.js";
import { bundleEnv } from "../test/support/bundle.js";
import { ssmStore } from "../test/support/ssm.js";
import { cleanEnv } from "./lib.js";

/** How many distinct JWTs the first-presentation figure uses (a tenth of them warm up). */
const FRESH_JWTS = 1_100;

/** What the bundle-based sections share: the SSM fake with keys in it, the emulator, and the env that points a bundle at them. */
export interface Fixture {
  ssm: SsmFake;
  emulator: MantleEmulator;
  /** A valid API key (one of a few, so the key load is a realistic page). */
  apiKey: string;
  /** A workload's JWT (RS256, as GitHub Actions, EKS and Google sign), admitted by an identity policy; valid for hours. */
  jwt: string;
  /** A file of distinct JWTs of the same workload, one a line: each one's signature is checked when first presented. */
  freshJwtsFile: string;
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
  // The issuer is found through discovery, as a real one is: the first JWT of a container fetches twice.
  const issuer = await TestIssuer.start();
  await new IdentityAdmin(ssmStore(ssm), DEFAULT_PARAMETER_PREFIX).add("ci", {
    record: { issuer: issuer.url, audiences: ["mantle-vend"], claims: { repository: "acme/*" }, subject: "repo:{repository}" },
    grant: {},
  });
  const jwt = await issuer.sign({ aud: "mantle-vend", sub: "repo:acme/app:ref:refs/heads/main", repository: "acme/app", ref: "refs/heads/main" }, { lifetimeSeconds: 6 * 3600 });
  const scratch = await mkdtemp(join(tmpdir(), "mantle-vend-bench-"));
  const freshJwtsFile = join(scratch, "jwts.txt");
  const fresh: string[] = [];
  for (let i = 0; i < FRESH_JWTS; i += 1) fresh.push(await issuer.sign({ aud: "mantle-vend", sub: `job-${i}`, repository: "acme/app", jti: String(i) }, { lifetimeSeconds: 6 * 3600 }));
  await writeFile(freshJwtsFile, `${fresh.join("\n")}\n`);
  const env = cleanEnv({ ...bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate }), MANTLE_VEND_ALLOW_LOOPBACK_ISSUERS: "1" });
  const limitsEnv = { ...env, MANTLE_VEND_LIMITS_TABLE: LIMITS_TABLE, AWS_ENDPOINT_URL_DYNAMODB: dynamo.url };
  return {
    ssm,
    emulator,
    apiKey,
    jwt,
    freshJwtsFile,
    env,
    dynamo,
    limitsEnv,
    close: async () => {
      await dynamo.close();
      await rm(scratch, { recursive: true, force: true });
      await issuer.close();
      await emulator.close();
      await ssm.close();
    },
  };
}
