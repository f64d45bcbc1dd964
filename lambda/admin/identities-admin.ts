import { UsageError } from "../errors.js";
import type { Grant } from "../grants/index.js";
import { isPolicyName, parseIdentityPolicy, storedPolicy, type IdentityPolicy, type IdentityPolicyRecord } from "../identity/index.js";
import { PARAMETER_MAX_CHARS } from "../store/index.js";
import { StoreAdmin } from "./store-admin.js";

/**
 * What `identities add` and `update` change: record fields (a field left out stays as it is; for
 * `add`, as it defaults) and grant fields. Giving `jwksUri` drops inline `jwks` and the other way round:
 * a policy has one key source.
 */
export interface PolicyChange {
  record: Partial<Omit<IdentityPolicyRecord, "createdAt">>;
  grant: Partial<Grant>;
}

/** One stored policy as `identities list` shows it: undefined `policy` when it does not parse. */
export interface PolicySummary {
  name: string;
  policy: IdentityPolicy | undefined;
}

/** Identity policy administration over any parameter store; every write also bumps the config version. */
export class IdentityAdmin extends StoreAdmin {

  /** A new policy; its grant defaults to every region and the server's own TTL ceiling, as a new key's does. */
  async add(name: string, change: PolicyChange): Promise<IdentityPolicy> {
    checkName(name);
    if ((await this.store.get(this.paths.identity(name))) !== undefined) throw new Error(`identity policy ${name} exists; change it with identities update ${name}`);
    const { issuer, audiences } = change.record;
    if (issuer === undefined) throw new UsageError("--issuer is required");
    if (audiences === undefined) throw new UsageError("--audience is required");
    const record: IdentityPolicyRecord = { ...change.record, issuer, audiences, createdAt: new Date(this.clock()).toISOString() };
    return this.write(name, record, this.newGrant(change.grant));
  }

  /** Changes the record's fields `change` names; `grant`, when given, is the policy's whole new grant. */
  async update(name: string, change: { record: PolicyChange["record"]; grant?: Grant }): Promise<IdentityPolicy> {
    const current = await this.show(name);
    const record: IdentityPolicyRecord = { ...current.record, ...change.record };
    if (change.record.jwksUri !== undefined) delete record.jwks;
    if (change.record.jwks !== undefined) delete record.jwksUri;
    if (change.record.disabled === false) delete record.disabled;
    return this.write(name, record, change.grant ?? current.grant);
  }

  async show(name: string): Promise<IdentityPolicy> {
    checkName(name);
    const text = await this.store.get(this.paths.identity(name));
    if (text === undefined) throw new Error(`no identity policy ${name}`);
    const policy = parseIdentityPolicy(name, text);
    if (policy === undefined) throw new Error(`identity policy ${name} is stored but does not parse; services ignore it (remove it, then add it again)`);
    return policy;
  }

  async list(): Promise<PolicySummary[]> {
    const base = this.paths.identities;
    return (await this.store.getByPath(base))
      .map(({ name: parameter, value }) => {
        const name = parameter.slice(base.length + 1);
        return { name, policy: parseIdentityPolicy(name, value) };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  async remove(name: string): Promise<void> {
    checkName(name);
    if ((await this.store.get(this.paths.identity(name))) === undefined) throw new Error(`no identity policy ${name}`);
    await this.store.delete(this.paths.identity(name));
    await this.changed();
  }

  /** Checks the policy exactly as the service will read it, then stores it. */
  private async write(name: string, record: IdentityPolicyRecord, grant: Grant): Promise<IdentityPolicy> {
    const text = storedPolicy(record, grant);
    const policy = parseIdentityPolicy(name, text);
    if (policy === undefined) throw new UsageError(`identity policy ${name} would not be valid; check its flags`);
    if (text.length > PARAMETER_MAX_CHARS) {
      throw new UsageError(`identity policy ${name} takes ${text.length} characters, over a parameter's ${PARAMETER_MAX_CHARS}: give --jwks-uri instead of --jwks-file`);
    }
    await this.store.put(this.paths.identity(name), text);
    await this.changed();
    return policy;
  }
}

function checkName(name: string): void {
  if (!isPolicyName(name)) throw new UsageError(`a policy name is 1-32 of a-z, 0-9 and "-", starting with a letter or digit; got "${name}"`);
}
