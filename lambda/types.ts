/** Milliseconds since the epoch; injected everywhere time matters so tests never wait. */
export type Clock = () => number;

/** The subset of a Lambda function URL event (payload format 2.0) the handler reads. */
export interface FunctionUrlEvent {
  version?: string;
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: {
    requestId?: string;
    http: { method: string; path?: string; sourceIp?: string };
  };
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** What an admin stores for an API key; the secret itself is never stored. */
export interface KeyRecord {
  name: string;
  sha256: string;
  regions: string[];
  maxTtlSeconds: number;
  createdAt: string;
  expiresAt?: string;
  disabled?: boolean;
  rateLimit?: RateLimit;
  /** After a rotation, the old secret's hash keeps working until previousExpiresAt. */
  previousSha256?: string;
  previousExpiresAt?: string;
  rotatedAt?: string;
}

export interface RateLimit {
  perSecond: number;
  burst: number;
}

/** A key that passed authentication, as the rest of the request sees it. */
export interface Caller {
  keyId: string;
  record: KeyRecord;
}

export interface Config {
  parameterPrefix: string;
  regions: string[];
  defaultRegion: string;
  defaultTtlSeconds: number;
  maxTtlSeconds: number;
  catalogTtlSeconds: number;
  keyCacheMaxAgeSeconds: number;
  rateLimit: RateLimit;
  mantleEndpoint: string;
  tokenRoleArn?: string;
}
