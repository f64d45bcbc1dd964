/** Offline mode of npm start (main.ts, its entry point): the local server and the Mantle emulator. */
export { EMULATOR_CREDENTIALS, MantleEmulator } from "./mantle-emulator.js";
