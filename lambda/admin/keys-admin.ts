import { grantOf, type Grant } from "../grants/index.js";
import { generateKey, parseKeyRecord, type KeyRecord } from "../keys/index.js";
import { StoreAdmin } from "./store-admin.js";

export interface CreateKeyOptions extends Partial<Grant> {
  name: string;
  expiresAt?: Date;
}

/** What `keys update` changes: its grant (whole, as the flags left it), name and expiry. */
export interface KeyUpdate {
  grant: Grant;
  name?: string;
  expiresAt?: Date;
}

export interface KeySummary {
  keyId: string;
  record: KeyRecord;
}

/** Key administration over any parameter store; every write also bumps the config version. */
export class KeyAdmin extends StoreAdmin {

  /** Returns the new key: the only time its secret exists outside the caller's hands. */
  async create(options: CreateKeyOptions): Promise<{ key: string; keyId: string }> {
    const { key, keyId, sha256 } = generateKey();
    const { name, expiresAt, ...granted } = options;
    const record: KeyRecord = { name, sha256, ...this.newGrant(granted), createdAt: new Date(this.clock()).toISOString() };
    if (expiresAt !== undefined) record.expiresAt = expiresAt.toISOString();
    await this.write(keyId, record);
    return { key, keyId };
  }

  /** Replaces a key's grant (and name or expiry when given); the secret and its hash stay as they are. */
  async update(keyId: string, change: KeyUpdate): Promise<KeyRecord> {
    const { name, sha256, createdAt, expiresAt, disabled, previousSha256, previousExpiresAt, rotatedAt } = await this.show(keyId);
    const record: KeyRecord = {
      name: change.name ?? name,
      sha256,
      ...grantOf(change.grant),
      createdAt,
      ...(change.expiresAt !== undefined ? { expiresAt: change.expiresAt.toISOString() } : expiresAt === undefined ? {} : { expiresAt }),
      ...(disabled === undefined ? {} : { disabled }),
      ...(previousSha256 === undefined ? {} : { previousSha256 }),
      ...(previousExpiresAt === undefined ? {} : { previousExpiresAt }),
      ...(rotatedAt === undefined ? {} : { rotatedAt }),
    };
    await this.write(keyId, record);
    return record;
  }

  async show(keyId: string): Promise<KeyRecord> {
    const text = await this.store.get(this.paths.key(keyId));
    const record = text === undefined ? undefined : parseKeyRecord(text);
    if (record === undefined) throw new Error(`no key ${keyId}`);
    return record;
  }

  /**
   * A new secret for the same keyId. The old secret keeps working for `graceSeconds`, so
   * gateways can switch without an outage; a second rotation ends the first one's grace.
   */
  async rotate(keyId: string, graceSeconds: number): Promise<{ key: string; keyId: string }> {
    const record = await this.show(keyId);
    if (record.disabled) throw new Error(`key ${keyId} is revoked; create a new key instead`);
    const { key, sha256 } = generateKey(keyId);
    const now = this.clock();
    await this.write(keyId, {
      ...record,
      sha256,
      previousSha256: record.sha256,
      previousExpiresAt: new Date(now + graceSeconds * 1000).toISOString(),
      rotatedAt: new Date(now).toISOString(),
    });
    return { key, keyId };
  }

  async list(): Promise<KeySummary[]> {
    const base = this.paths.keys;
    return (await this.store.getByPath(base)).flatMap(({ name, value }) => {
      const record = parseKeyRecord(value);
      return record === undefined ? [] : [{ keyId: name.slice(base.length + 1), record }];
    });
  }

  /** Disables the key for good; the record stays so that `keys list` shows what happened. */
  async revoke(keyId: string): Promise<void> {
    const record = await this.show(keyId);
    await this.write(keyId, { ...record, disabled: true });
  }

  private async write(keyId: string, record: KeyRecord): Promise<void> {
    await this.store.put(this.paths.key(keyId), JSON.stringify(record), { secure: true });
    await this.changed();
  }
}
