/** A suite that runs the CLI against the real service: the client built, the service listening, a key. */
import { beforeAll } from "vitest";
import { buildClient } from "./client-support.js";
import { useFixture, type Fixture, type FixtureOptions } from "./fixture.js";

export interface CliService {
  readonly fixture: Fixture;
  /** The service's URL, once it listens. */
  readonly url: string;
  /** A key of the default grant. */
  readonly apiKey: string;
}

export function useCliService(service: FixtureOptions["service"] = true): CliService {
  const fixture = useFixture({ service });
  let url: string | undefined;
  let apiKey: string | undefined;
  beforeAll(async () => {
    await buildClient();
    url = await fixture.service.listen();
    apiKey = (await fixture.service.createKey()).key;
  });
  const ready = (value: string | undefined): string => {
    if (value === undefined) throw new Error("the service starts in beforeAll");
    return value;
  };
  return {
    fixture,
    get url() {
      return ready(url);
    },
    get apiKey() {
      return ready(apiKey);
    },
  };
}
