/**
 * Every parameter name the service uses, built in one place from the prefix (docs/operations.md,
 * "What lives in Parameter Store"). Region, key id and policy name are checked by their callers;
 * nothing here lets a caller's text reach a name unchecked.
 */
export interface ParameterPaths {
  readonly prefix: string;
  /**
   * One value every admin write replaces (keys, identity policies, catalog overrides): running
   * services poll it and reload what they hold when it changes. Its name predates the overrides.
   */
  readonly configVersion: string;
  /** The folder of the API key records. */
  readonly keys: string;
  key(keyId: string): string;
  /** The folder of the identity policies. */
  readonly identities: string;
  identity(name: string): string;
  /** A region's catalog index; its shards are `<index>/<i>`. */
  catalog(region: string): string;
  /** The folder of every region's catalog. */
  readonly catalogs: string;
  /** The catalog overrides' index; its shards are `<index>/<i>`. */
  readonly catalogOverrides: string;
  /** The name of the fleet-wide limits' DynamoDB table, written by the stack (absent: fleetLimits off). */
  readonly limitsTable: string;
}

export function parameterPaths(prefix: string): ParameterPaths {
  const base = prefix.replace(/\/+$/, "");
  return {
    prefix: base,
    configVersion: `${base}/keys-version`,
    keys: `${base}/keys`,
    key: (keyId) => `${base}/keys/${keyId}`,
    identities: `${base}/identities`,
    identity: (name) => `${base}/identities/${name}`,
    catalog: (region) => `${base}/catalogs/${region}`,
    catalogs: `${base}/catalogs`,
    catalogOverrides: `${base}/catalog-overrides`,
    limitsTable: `${base}/limits-table`,
  };
}

/** A sharded document's i-th shard. */
export const shardParameter = (index: string, i: number): string => `${index}/${i}`;
