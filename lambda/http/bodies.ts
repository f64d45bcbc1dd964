import type { ServedModel } from "../catalog/index.js";
import type { EffectiveGrant } from "../grants/index.js";

/** The bodies the API answers with: what the client's types (client/src/types.ts) must accept. */

export interface HealthBody {
  status: "ok";
  version: string;
}

/** `GET /v1/identity`: how people log in to this deployment (`mantle-vend login`), if they do. */
export interface IdentityBody {
  login: { issuer: string; clientId: string; scopes: string[] } | null;
}

export interface RegionsBody {
  defaultRegion: string | null;
  regions: Array<{ region: string; baseUrl: string }>;
}

export type { TokenBody } from "../tokens/index.js";

/**
 * An interface as a plain object type: the client's catalog types carry an index signature
 * for fields it does not know yet, and only object types (not interfaces) are assignable to one.
 */
type Plain<T> = { [K in keyof T]: T[K] };

export type CatalogBody = {
  region: string;
  baseUrl: string;
  checkedAt: string;
  changedAt: string;
  stale: boolean;
  models: ReadonlyArray<Plain<ServedModel>>;
};

/** `GET /v1/whoami`: who the credential is and what it may do here (a type, like CatalogBody, for the client's index signatures). */
export type WhoamiBody = {
  principal: string;
  kind: "key" | "identity";
  name: string;
  /** `models` and `mintsPerDay` only when the grant sets them (absent: every model, no quota). */
  grant: EffectiveGrant;
  /**
   * Tokens minted today (UTC) across the fleet, as this container last counted them when it minted
   * for the principal (whoami itself makes no limits-table call); null while no limits table is deployed.
   */
  mintsToday: number | null;
};

export interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}
