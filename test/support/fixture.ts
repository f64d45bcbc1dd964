/**
 * One fixture for the fakes a suite runs against: the wire-level SSM and STS fakes, the
 * Mantle emulator and the real service wired over them. `useFixture` registers the
 * suite's beforeAll/afterAll, starts only what it is asked for (the emulator whenever a
 * service is), and stops everything in reverse order, whatever failed on the way.
 */
import { afterAll, beforeAll } from "vitest";
import { MantleEmulator, type EmulatorStartOptions } from "../../lambda/local/mantle-emulator.js";
import { SsmFake } from "../fakes/ssm-fake.js";
import { StsFake } from "../fakes/sts-fake.js";
import { startService, type ServiceOptions, type TestService } from "./service.js";
import { ssmStore } from "./ssm.js";

export interface FixtureOptions {
  ssm?: boolean;
  sts?: boolean;
  /** Start the emulator (with these options, which may depend on the STS fake's credentials). */
  emulator?: boolean | EmulatorStartOptions | ((started: { sts?: StsFake }) => EmulatorStartOptions);
  /**
   * Start the service over the emulator: `true` for the defaults, `"ssm"` to back it with the
   * SSM fake instead of a file store, or options (a function when they need a started fake).
   */
  service?: boolean | "ssm" | ServiceOptions | ((started: { ssm?: SsmFake; sts?: StsFake }) => ServiceOptions);
}

export interface Fixture {
  readonly ssm: SsmFake;
  readonly sts: StsFake;
  readonly emulator: MantleEmulator;
  readonly service: TestService;
}

interface Started {
  ssm?: SsmFake;
  sts?: StsFake;
  emulator?: MantleEmulator;
  service?: TestService;
}

/** Starts what `options` asks for; `close` stops all of it, newest first. */
export async function startFixture(options: FixtureOptions): Promise<Fixture & { close(): Promise<void> }> {
  const { started, close } = await start(options);
  return Object.assign(handle(() => started), { close });
}

async function start(options: FixtureOptions): Promise<{ started: Started; close(): Promise<void> }> {
  const started: Started = {};
  const close = async (): Promise<void> => {
    await started.service?.close();
    await started.emulator?.close();
    await started.sts?.close();
    await started.ssm?.close();
  };
  try {
    const wantsService = options.service !== undefined && options.service !== false;
    if (options.ssm || options.service === "ssm") started.ssm = await SsmFake.start();
    if (options.sts) started.sts = await StsFake.start();
    if (options.emulator || wantsService) {
      const emulatorOptions = typeof options.emulator === "function" ? options.emulator(started) : options.emulator;
      started.emulator = await MantleEmulator.start(typeof emulatorOptions === "object" ? emulatorOptions : {});
    }
    if (wantsService) {
      const service = options.service;
      let serviceOptions: ServiceOptions = {};
      if (service === "ssm" && started.ssm !== undefined) serviceOptions = { store: ssmStore(started.ssm) };
      else if (typeof service === "function") serviceOptions = service(started);
      else if (typeof service === "object") serviceOptions = service;
      started.service = await startService({ ...serviceOptions, emulator: started.emulator });
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { started, close };
}

/** The suite's fixture: started before its first test, stopped after its last. */
export function useFixture(options: FixtureOptions): Fixture {
  let started: Started = {};
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ started, close } = await start(options));
  });
  afterAll(async () => {
    await close?.();
  });
  return handle(() => started);
}

function handle(current: () => Started): Fixture {
  const need = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the fixture was not asked to start ${what} (or has not started yet)`);
    return value;
  };
  return {
    get ssm() {
      return need(current().ssm, "the SSM fake");
    },
    get sts() {
      return need(current().sts, "the STS fake");
    },
    get emulator() {
      return need(current().emulator, "the Mantle emulator");
    },
    get service() {
      return need(current().service, "the service");
    },
  };
}
