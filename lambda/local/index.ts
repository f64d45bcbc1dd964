/** Offline mode of npm start (main.ts, its entry point): the local server and the Mantle emulator. */
export {
  EMULATOR_CREDENTIALS,
  MantleEmulator,
  verifyBearerToken,
  type EmulatorCredentials,
  type EmulatorModel,
  type FailureMode,
} from "./mantle-emulator.js";
export { createLocalServer } from "./server.js";
