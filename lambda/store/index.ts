/** The ParameterStore interface and its two implementations: SSM in Lambda, a JSON file locally. */
export { FileParameterStore } from "./file.js";
export { SsmParameterStore } from "./ssm.js";
export type { Parameter, ParameterStore, PutOptions } from "./types.js";
