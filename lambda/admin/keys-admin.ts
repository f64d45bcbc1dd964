import { randomBytes } from "node:crypto";
import { generateKey, keyParameter, keysPath, keysVersionParameter, parseKeyRecord } from "../keys.js";
import type { ParameterStore } from "../store/types.js";
import type { KeyRecord } from "../types.js";

export interface CreateKeyOptions {
  name: string;
  regions?: string[];
  maxTtlSeconds?: number;
  expiresAt?: Date;
}

export interface KeySummary {
  keyId: string;
  record: KeyRecord;
}

/** Key administration over any parameter store; every write also bumps keys-version. */
export class KeyAdmin {
  constructor(
    private readonly store: ParameterStore,
    private readonly prefix: string,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Returns the new key: the only time its secret exists outside the caller's hands. */
  async create(options: CreateKeyOptions): Promise<{ key: string; keyId: string }> {
    const { key, keyId, sha256 } = generateKey();
    const record: KeyRecord = {
      name: options.name,
      sha256,
      regions: options.regions ?? ["*"],
      maxTtlSeconds: options.maxTtlSeconds ?? 43_200,
      createdAt: new Date(this.clock()).toISOString(),
    };
    if (options.expiresAt !== undefined) record.expiresAt = options.expiresAt.toISOString();
    await this.write(keyId, record);
    return { key, keyId };
  }

  async list(): Promise<KeySummary[]> {
    const base = keysPath(this.prefix);
    return (await this.store.getByPath(base)).flatMap(({ name, value }) => {
      const record = parseKeyRecord(value);
      return record === undefined ? [] : [{ keyId: name.slice(base.length + 1), record }];
    });
  }

  /** Disables the key for good; the record stays so that `keys list` shows what happened. */
  async revoke(keyId: string): Promise<void> {
    const text = await this.store.get(keyParameter(this.prefix, keyId));
    const record = text === undefined ? undefined : parseKeyRecord(text);
    if (record === undefined) throw new Error(`no key ${keyId}`);
    await this.write(keyId, { ...record, disabled: true });
  }

  private async write(keyId: string, record: KeyRecord): Promise<void> {
    await this.store.put(keyParameter(this.prefix, keyId), JSON.stringify(record), { secure: true });
    await this.store.put(keysVersionParameter(this.prefix), randomBytes(12).toString("base64url"));
  }
}
