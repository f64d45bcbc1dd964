import { SSMClient } from "@aws-sdk/client-ssm";
import { SsmParameterStore } from "../../lambda/store/ssm.js";
import type { SsmFake } from "../fakes/ssm-fake.js";

/** The real SSM client pointed at the wire fake; one attempt so each injected fault is seen as is. */
export function ssmClient(fake: SsmFake, maxAttempts = 1): SSMClient {
  return new SSMClient({
    endpoint: fake.url,
    region: "us-east-1",
    credentials: { accessKeyId: "AKIDSSMFAKE", secretAccessKey: "ssm-fake-secret" },
    maxAttempts,
  });
}

export function ssmStore(fake: SsmFake, maxAttempts = 1): SsmParameterStore {
  return new SsmParameterStore(ssmClient(fake, maxAttempts));
}
