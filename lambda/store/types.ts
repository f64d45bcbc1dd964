/** What one Standard-tier parameter (the only tier the service writes) holds at most, in characters. */
export const PARAMETER_MAX_CHARS = 4096;

/** One stored parameter. */
export interface Parameter {
  name: string;
  value: string;
}

export interface PutOptions {
  /** Stored encrypted (SecureString) — API key records are. */
  secure?: boolean;
}

/**
 * The narrow interface every AWS call goes through: SSM Parameter Store in Lambda,
 * a JSON file for the local server and the admin CLI's --local mode.
 */
export interface ParameterStore {
  /** undefined when the parameter does not exist. */
  get(name: string): Promise<string | undefined>;
  /** Missing names are left out of the answer. */
  getMany(names: readonly string[]): Promise<Parameter[]>;
  /** Every parameter below `path`, recursively, decrypted. */
  getByPath(path: string): Promise<Parameter[]>;
  put(name: string, value: string, options?: PutOptions): Promise<void>;
  /** Deleting a missing parameter is not an error. */
  delete(name: string): Promise<void>;
}
