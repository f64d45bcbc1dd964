/** The ParameterStore interface, its SSM and file implementations, the parameter names, and the polled config version. */
export { bumpConfigVersion } from "./config-version.js";
export { StoreUnavailableError } from "./errors.js";
export { FileParameterStore } from "./file.js";
export { JsonFile, type JsonFileOptions } from "./json-file.js";
export { parameterPaths, shardParameter, type ParameterPaths } from "./paths.js";
export { SsmParameterStore } from "./ssm.js";
export { PARAMETER_MAX_CHARS, type ParameterStore } from "./types.js";
export { SnapshotUnavailableError, VersionedSnapshot, type VersionedSnapshotOptions } from "./versioned-snapshot.js";
