/**
 * Property tests (fast-check) against the **bundled** API handler: the esbuild artifact the
 * synthesized CDK template names, imported in-process with its environment pointing at the SSM
 * wire fake and the Mantle emulator. Every case is an arbitrary function-URL event.
 *
 * Replay a failure with the seed printed at the top of the run:
 *
 *     FC_SEED=<seed> npx vitest run test/system/fuzz.test.ts
 *
 * (fast-check also prints the seed and the shrunk counterexample when a property fails.)
 */
import { ERROR_CODES as CONTRACT_CODES } from "../../lambda/http/errors.js";
import { randomUUID } from "node:crypto";
import { pathToFileURL } from "node:url";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { KeyAdmin } from "../../lambda/admin/keys-admin.js";
import { MANTLE_REGIONS } from "../../lambda/regions.js";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../lambda/http/events.js";
import { EMULATOR_CREDENTIALS, verifyBearerToken, type MantleEmulator } from "../../lambda/local/mantle-emulator.js";
import type { SsmFake } from "../fakes/ssm-fake.js";
import { useFixture } from "../support/fixture.js";
import { DEFAULT_PARAMETER_PREFIX } from "../../lambda/config.js";
import { bundleEnv, synthesizeBundle } from "../support/bundle.js";
import { ssmStore } from "../support/ssm.js";

// ---------------------------------------------------------------- seed and budget

const SEED = parseSeed(process.env.FC_SEED);
// Printed before anything runs so that a crash, a hang or a timeout can be replayed too.
console.log(`fuzz.test.ts: fast-check seed ${SEED} — replay with FC_SEED=${SEED} npx vitest run test/system/fuzz.test.ts`);

function parseSeed(raw: string | undefined): number {
  // fast-check seeds are 32-bit integers: print one it uses as is.
  if (raw === undefined || raw === "") return Date.now() % 2_147_483_647;
  const seed = Number(raw);
  if (!Number.isSafeInteger(seed)) throw new Error(`FC_SEED must be an integer, got "${raw}"`);
  return seed;
}

/** Runs per property; their sum is the number of generated cases (asserted >= 10,000 below). */
const RUNS = { routing: 3_000, auth: 2_000, tokens: 3_000, models: 1_500, shapes: 1_000 } as const;
const MIN_TOTAL_CASES = 10_000;
let casesRun = 0;
/** Statuses seen, to show (and assert) that the generators reach every check of the handler. */
const statusCounts = new Map<number, number>();

// ---------------------------------------------------------------- the contract (docs/http-api.md)

const CONTRACT_STATUSES = [200, 304, 400, 401, 403, 404, 405, 413, 429, 500, 502, 503];
// The codes themselves are pinned literally by test/http/api.test.ts; here they are the oracle.
const ERROR_CODES: Readonly<Record<number, string>> = CONTRACT_CODES;
const ROUTE_METHOD: Readonly<Record<string, string>> = {
  "/healthz": "GET",
  "/v1/regions": "GET",
  "/v1/tokens": "POST",
  "/v1/models": "GET",
};
const KNOWN_PATHS = Object.keys(ROUTE_METHOD);
const MAX_BODY = 8 * 1024;
const REGIONS: readonly string[] = MANTLE_REGIONS;
const SERVER_MAX_TTL = 3600;
const DEFAULT_TTL = 3600;
/** The service default region: AWS_REGION below, which is allowlisted. */
const DEFAULT_REGION = "us-east-1";
const EU_ONLY = "eu-west-1";

// ---------------------------------------------------------------- fixtures

type Handler = (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;

const fixture = useFixture({ ssm: true, emulator: true });
let ssm: SsmFake;
let emulator: MantleEmulator;
let handler: Handler;
/** Every secret that must never come back in an answer. */
let secrets: string[] = [];
const keys = {
  all: "",
  eu: "",
  limited: "",
  expired: "",
  revoked: "",
  rotatedNew: "",
  rotatedOld: "", // the previous secret, inside its grace period: still valid
  rotatedGone: "", // a previous secret whose grace period is over
};
let prototypeBefore: string[] = [];

beforeAll(async () => {
  const { apiBundle } = await synthesizeBundle();
  ({ ssm, emulator } = fixture);
  const admin = new KeyAdmin(ssmStore(ssm), DEFAULT_PARAMETER_PREFIX);
  keys.all = (await admin.create({ name: "fuzz-all" })).key;
  keys.eu = (await admin.create({ name: "fuzz-eu", regions: [EU_ONLY] })).key;
  keys.limited = (await admin.create({ name: "fuzz-limited", rateLimit: { perSecond: 0.001, burst: 1 } })).key;
  keys.expired = (await admin.create({ name: "fuzz-expired", expiresAt: new Date(Date.now() - 60_000) })).key;
  const revoked = await admin.create({ name: "fuzz-revoked" });
  await admin.revoke(revoked.keyId);
  keys.revoked = revoked.key;
  const rotated = await admin.create({ name: "fuzz-rotated" });
  keys.rotatedOld = rotated.key;
  keys.rotatedNew = (await admin.rotate(rotated.keyId, 86_400)).key;
  const gone = await admin.create({ name: "fuzz-rotated-gone" });
  keys.rotatedGone = gone.key;
  await admin.rotate(gone.keyId, 0);
  secrets = Object.values(keys).flatMap((key) => [key, key.slice(-43)]);

  for (const name of ["AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_CREDENTIAL_EXPIRATION"]) delete process.env[name];
  Object.assign(process.env, {
    ...bundleEnv({ ssmUrl: ssm.url, mantleEndpoint: emulator.endpointTemplate }),
    // Valid-key cases must not all end in 429; the "limited" key (burst 1) keeps 429s in the mix.
    MANTLE_VEND_RATE_LIMIT_BURST: "1000000",
  });
  ({ handler } = (await import(pathToFileURL(apiBundle).href)) as { handler: Handler });
  prototypeBefore = prototypeSnapshot();
});

// ---------------------------------------------------------------- the generated case

type Shape = "normal" | "no-requestContext" | "no-http" | "no-requestId" | "no-headers" | "null-headers" | "no-rawPath" | "no-query";

/**
 * What the caller presented. `identity` is the key the handler must recognise: undefined for
 * none/invalid. `ambiguous` marks spellings the contract does not decide (e.g. a lowercase scheme).
 */
interface Auth {
  header: string;
  value: string;
  identity?: "all" | "eu" | "limited";
  ambiguous?: boolean;
}

interface Body {
  /** The decoded body the handler should see, or undefined when it cannot be known (garbage base64). */
  bytes?: Buffer;
  /** How it travels in the event. */
  wire: { body?: string | null; isBase64Encoded?: boolean };
}

interface Case {
  shape: Shape;
  method: string;
  path: string;
  query: string;
  requestId: string;
  headers: Record<string, string>;
  contentType?: string;
  auth?: Auth;
  ifNoneMatch?: string;
  body: Body;
}

function toEvent(c: Case): FunctionUrlEvent {
  const headers: Record<string, string> = { ...c.headers };
  if (c.contentType !== undefined) headers["content-type"] = c.contentType;
  if (c.ifNoneMatch !== undefined) headers["if-none-match"] = c.ifNoneMatch;
  if (c.auth !== undefined) headers[c.auth.header] = c.auth.value;
  const event: Record<string, unknown> = {
    version: "2.0",
    rawPath: c.path,
    rawQueryString: c.query,
    headers,
    requestContext: { requestId: c.requestId, http: { method: c.method, path: c.path, sourceIp: "203.0.113.9" } },
    ...c.body.wire,
  };
  switch (c.shape) {
    case "no-requestContext":
      delete event.requestContext;
      break;
    case "no-http":
      event.requestContext = { requestId: c.requestId };
      break;
    case "no-requestId":
      event.requestContext = { http: { method: c.method, path: c.path } };
      break;
    case "no-headers":
      delete event.headers;
      break;
    case "null-headers":
      event.headers = null;
      break;
    case "no-rawPath":
      delete event.rawPath;
      break;
    case "no-query":
      delete event.rawQueryString;
      break;
    case "normal":
      break;
  }
  // Lambda hands the handler a JSON-parsed event: own `__proto__` keys and all.
  return JSON.parse(JSON.stringify(event)) as FunctionUrlEvent;
}

// ---------------------------------------------------------------- arbitraries

const pick = <T>(...values: T[]): fc.Arbitrary<T> => fc.constantFrom(...values);
const w = <T>(weight: number, arbitrary: fc.Arbitrary<T>): fc.WeightedArbitrary<T> => ({ weight, arbitrary });

const knownPath = pick(...KNOWN_PATHS);

/** Paths that look like a route but are not it (percent-encoding, dot segments, case, slashes, NUL…). */
const nearMissPath = fc
  .tuple(knownPath, fc.nat(23))
  .map(([p, i]) => {
    const variants = [
      `${p}/`,
      p.toUpperCase(),
      `/${p}`,
      `${p}//`,
      p.replace("/", "//"),
      `${p}/..`,
      `${p}/.`,
      `/.${p}`,
      `/v1/..${p}`,
      `${p}%00`,
      `${p}%2F`,
      p.replace(/[a-z]/, (ch) => `%${ch.charCodeAt(0).toString(16)}`),
      p.replaceAll("/", "%2F"),
      `${p}?region=us-east-1`,
      `${p}#frag`,
      `${p};x=1`,
      p.slice(1),
      `${p} `,
      `${p}\u0000`,
      p.slice(0, -1),
      `${p}x`,
      `/v2${p.slice(3)}`,
      `${p}\\`,
      `${p}/%2e%2e`,
    ];
    return variants[i % variants.length] as string;
  });

const randomPath = fc.oneof(
  fc.webPath(),
  fc.string({ maxLength: 64 }).map((s) => `/${s}`),
  fc.string({ unit: "binary", maxLength: 32 }),
  pick(
    "",
    "/",
    "*",
    "//",
    "/..",
    "/../../etc/passwd",
    "/__proto__",
    "__proto__",
    "/constructor",
    "constructor",
    "/toString",
    "hasOwnProperty",
    "/v1",
    "/v1/",
    "/%2e%2e/v1/tokens",
    "/v1/tokens/../models",
    "http://169.254.169.254/latest/meta-data",
    "/v1/tokens\r\nx-injected: 1",
  ),
);

const longPath = fc
  .tuple(fc.integer({ min: 1_000, max: 100_000 }), fc.nat(3))
  .map(([n, i]) => [`/${"a".repeat(n)}`, `/v1/tokens${"/".repeat(n)}`, `/${"../".repeat(Math.ceil(n / 3))}v1/tokens`, `/${"%41".repeat(Math.ceil(n / 3))}`][i] as string);

const anyPath = fc.oneof(w(5, knownPath), w(3, nearMissPath), w(3, randomPath), w(1, longPath));

const anyMethod = fc.oneof(
  w(6, pick("GET", "POST")),
  w(3, pick("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "CONNECT", "TRACE", "get", "post", "Post", "gEt", " GET", "POST ", "")),
  w(1, fc.string({ maxLength: 16 })),
  w(1, fc.string({ unit: "binary", maxLength: 8 })),
);

const reservedHeader = (name: string): boolean => ["authorization", "if-none-match"].includes(name.toLowerCase());

const headerName = fc
  .oneof(
    pick(
      "content-type",
      "content-length",
      "content-encoding",
      "transfer-encoding",
      "x-forwarded-for",
      "host",
      "cookie",
      "origin",
      "accept",
      "accept-encoding",
      "x-amzn-trace-id",
      "x-request-id",
      "x-api-key",
      "proxy-authorization",
      "__proto__",
      "constructor",
      "prototype",
      "toString",
      "hasOwnProperty",
      "",
    ),
    fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,40}$/),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 20 }),
  )
  .filter((name) => !reservedHeader(name));

const headerValue = fc.oneof(
  w(6, fc.string({ maxLength: 100 })),
  w(2, fc.string({ unit: "binary", maxLength: 50 })),
  w(1, fc.integer({ min: 8_000, max: 200_000 }).map((n) => "v".repeat(n))),
);

const randomHeaders = fc.dictionary(headerName, headerValue, { maxKeys: 8 });

const contentType = fc.option(
  fc.oneof(
    pick(
      "application/json",
      "application/json; charset=utf-8",
      "APPLICATION/JSON",
      "application/json; charset=latin1",
      "text/plain",
      "application/x-www-form-urlencoded",
      "multipart/form-data; boundary=x",
      "application/octet-stream",
      "",
      "application/json, text/html",
      ";;;",
    ),
    fc.string({ maxLength: 40 }),
  ),
  { nil: undefined },
);

/** Mutates one character of a key: same shape, wrong secret, or a malformed id. */
function nearMissKey(key: string): fc.Arbitrary<string> {
  const alphabet = "0123456789abcdefABCDEF_-xyzXYZ";
  return fc
    .tuple(fc.nat(key.length - 1), fc.nat(alphabet.length - 1), fc.nat(9))
    .map(([at, c, how]) => {
      const ch = alphabet[c] as string;
      const swapped = key[at] === ch ? (ch === "0" ? "1" : "0") : ch;
      switch (how) {
        case 0:
          return key.slice(0, at) + swapped + key.slice(at + 1);
        case 1:
          return key.slice(0, -1);
        case 2:
          return `${key}A`;
        case 3:
          return key.toUpperCase();
        case 4:
          return key.replace("mvk_", "mvk-");
        case 5:
          return key.replace("mvk_", "MVK_");
        case 6:
          return key.slice(0, at);
        case 7:
          return `${key.slice(0, 21)}${"A".repeat(43)}`;
        case 8:
          return `${key}\u200b`;
        default:
          return key.slice(0, at) + "\u0430" + key.slice(at + 1); // Cyrillic look-alike
      }
    });
}

function authArb(): fc.Arbitrary<Auth | undefined> {
  const valid = (identity: Auth["identity"], key: string): fc.Arbitrary<Auth> =>
    fc.constant({ header: "authorization", value: `Bearer ${key}`, identity });
  const invalid = (value: fc.Arbitrary<string>): fc.Arbitrary<Auth> => value.map((v) => ({ header: "authorization", value: v }));
  const ambiguous = fc
    .tuple(
      pick(
        (k: string) => `bearer ${k}`,
        (k: string) => `BEARER ${k}`,
        (k: string) => `Bearer  ${k}`,
        (k: string) => `Bearer ${k} `,
        (k: string) => `Bearer\t${k}`,
        (k: string) => ` Bearer ${k}`,
        (k: string) => `Bearer ${k},Bearer ${k}`,
      ),
      pick("authorization", "Authorization", "AUTHORIZATION"),
    )
    .map(([spell, name]): Auth => ({ header: name, value: spell(keys.all), identity: "all", ambiguous: true }));
  return fc.oneof(
    w(3, fc.constant(undefined)),
    w(6, valid("all", keys.all)),
    w(1, valid("all", keys.rotatedOld)),
    w(1, valid("all", keys.rotatedNew)),
    w(2, valid("eu", keys.eu)),
    w(1, valid("limited", keys.limited)),
    w(2, ambiguous),
    w(3, invalid(nearMissKey(keys.all).map((k) => `Bearer ${k}`))),
    w(
      2,
      invalid(
        pick(
          keys.all,
          `Basic ${Buffer.from(`user:${keys.all}`).toString("base64")}`,
          `Bearer ${keys.all}${keys.all}`,
          `Bearer ${keys.all} extra`,
          `Bearer ${keys.expired}`,
          `Bearer ${keys.revoked}`,
          `Bearer ${keys.rotatedGone}`,
          "Bearer",
          "Bearer ",
          "",
          "Bearer mvk_",
          `Bearer mvk_${"0".repeat(16)}_${"A".repeat(43)}`,
          "Bearer null",
          "Bearer undefined",
          "Bearer __proto__",
          "Token abc",
        ),
      ),
    ),
    w(1, invalid(fc.string({ maxLength: 80 }))),
    w(1, invalid(fc.integer({ min: 4_000, max: 100_000 }).map((n) => `Bearer ${"A".repeat(n)}`))),
  );
}

const ifNoneMatch = fc.option(
  fc.oneof(
    pick("*", " * ", '""', '"x"', 'W/"x"', "W/", '"', '"unterminated', ",,,", "*, *", '"a", *', "null"),
    // junk with neither quotes nor `*`: can never match
    fc.stringMatching(/^[a-zA-Z0-9 ,;=/-]{0,40}$/),
    fc.string({ maxLength: 60 }),
    fc.integer({ min: 2_000, max: 50_000 }).map((n) => `"${"e".repeat(n)}"`),
  ),
  { nil: undefined },
);

const query = fc.oneof(
  w(4, pick("", ...REGIONS.map((r) => `region=${r}`))),
  w(
    3,
    pick(
      "region=us-east-1&region=us-east-1",
      "region=us-east-1&region=eu-west-1",
      "region=",
      "region",
      "region=%ZZ",
      "region=%",
      "region=us-west-2%00",
      "Region=us-west-2",
      "REGION=us-west-2",
      "region=us-west-2&x=1",
      "x=1",
      "region=moon-1",
      "region=US-WEST-2",
      "region=us%2Dwest%2D2",
      "region=us-west-2#frag",
      "region=http://169.254.169.254/",
      "region=..%2F..%2Fetc",
      "region[]=us-west-2",
      "region=us-west-2;x",
      "&&&",
      "=",
      "%",
      "region=%E2%82%AC",
      "region=%C3%28",
      "region=us-west-2+",
      "region=+us-west-2",
      "__proto__=1",
      "constructor=1",
      "region=__proto__",
      "region=constructor",
      "region=toString",
    ),
  ),
  w(2, fc.webQueryParameters()),
  w(2, fc.string({ maxLength: 100 })),
  w(1, fc.string({ unit: "binary", maxLength: 50 })),
  w(1, fc.integer({ min: 1_000, max: 200_000 }).map((n) => `region=${"a".repeat(n)}`)),
  w(1, fc.integer({ min: 50, max: 5_000 }).map((n) => "region=us-west-2&".repeat(n))),
);

const NUMBER_TEXTS = [
  "1e400",
  "-1e400",
  "-0",
  "60.0",
  "6e1",
  "600e-1",
  "0.6e2",
  "1E2",
  "59.999",
  "60.5",
  "1e21",
  "123456789012345678901234567890",
  "9007199254740993",
  "-60",
  "0",
  "59",
  "60",
  "43200",
  "43201",
  "3600.0000000000001",
  '"3600"',
  "null",
  "true",
  "[]",
  "{}",
  "0x10",
  "NaN",
  "Infinity",
  "1_000",
  "+60",
  ".5",
];

const PROTO_BODIES = [
  '{"__proto__":{"polluted":"yes"}}',
  '{"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"prototype":{"polluted":"yes"}}',
  '{"region":"us-east-1","__proto__":{"ttlSeconds":60,"polluted":"yes"}}',
  '{"ttlSeconds":3600,"constructor":{"prototype":{"polluted":"yes"}}}',
  '{"__proto__":null}',
  '{"__proto__":[]}',
  '{"__proto__":"x"}',
  '{"toString":"x"}',
  '{"hasOwnProperty":1}',
  '{"valueOf":{}}',
  '{"region":{"__proto__":{"polluted":"yes"}}}',
  '{"ttlSeconds":{"valueOf":3600}}',
  '{"region":["us-east-1"]}',
  '[{"__proto__":{"polluted":"yes"}}]',
  '{"a":{"__proto__":{"polluted":"yes"}}}',
  '{"__proto__":{"__proto__":{"polluted":"yes"}}}',
];

const INVALID_UTF8 = [[0xff], [0xfe, 0xff], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xc0, 0xaf], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xe2, 0x82], [0x80], [0xf4, 0x90, 0x80, 0x80]];

const utf8 = (text: string): Buffer => Buffer.from(text, "utf8");

const tokenFields = fc.record(
  {
    region: fc.oneof(
      w(6, pick(...REGIONS)),
      w(2, pick("US-EAST-1", "us-east-1 ", "moon-1", "", "us-east-1\u0000", "../us-east-1", "us-east-1.evil.com", "http://169.254.169.254", "eu-west-1#", "__proto__")),
      w(1, fc.string({ maxLength: 20 })),
      w(1, fc.jsonValue({ maxDepth: 2 })),
    ),
    ttlSeconds: fc.oneof(
      w(5, fc.integer({ min: 60, max: 100_000 })),
      w(2, pick(60, 59, 0, -1, 3600, 43_200, 43_201, 1e21, Number.MAX_SAFE_INTEGER, 60.5)),
      w(1, fc.integer()),
      w(1, fc.double()),
      w(1, fc.jsonValue({ maxDepth: 2 })),
    ),
    extra: fc.jsonValue({ maxDepth: 1 }),
  },
  { requiredKeys: [] },
);

/** The text of a JSON token request; `extra` becomes an unknown field. */
const tokenJson = tokenFields.map((fields) => {
  const { extra, ...known } = fields;
  return JSON.stringify(extra === undefined ? known : { ...known, extra });
});

const numberBody = fc
  .tuple(pick(...NUMBER_TEXTS), fc.option(pick(...REGIONS, "moon-1"), { nil: undefined }))
  .map(([n, region]) => (region === undefined ? `{"ttlSeconds":${n}}` : `{"region":"${region}","ttlSeconds":${n}}`));

const nestedBody = fc
  .tuple(fc.integer({ min: 1, max: 12_000 }), fc.nat(4))
  .map(([n, how]) =>
    [
      "[".repeat(n),
      "[".repeat(n) + "]".repeat(n),
      '{"a":'.repeat(n) + "1" + "}".repeat(n),
      `{"region":${"[".repeat(n)}${"]".repeat(n)}}`,
      `{"ttlSeconds":${'{"x":'.repeat(n)}0${"}".repeat(n)}}`,
    ][how] as string,
  );

/** Bodies at and around the 8 KiB limit, counted in bytes (multi-byte characters included). */
const sizedBody = fc
  .tuple(fc.integer({ min: MAX_BODY - 3, max: MAX_BODY + 3 }), fc.nat(2))
  .map(([size, how]) => {
    if (how === 0) {
      const head = '{"region":"us-east-1"';
      return utf8(`${head}${" ".repeat(size - head.length - 1)}}`);
    }
    if (how === 1) {
      // few characters, many bytes: 3 bytes per €
      const head = '{"x":"';
      const euros = Math.floor((size - head.length - 2) / 3);
      const pad = size - head.length - 2 - euros * 3;
      return utf8(`${head}${"€".repeat(euros)}${"a".repeat(pad)}"}`);
    }
    return utf8(`{"ttlSeconds":60}${"\n".repeat(size - 17)}`);
  });

const hugeBody = fc.integer({ min: MAX_BODY + 1, max: 200_000 }).map((n) => utf8(`{"region":"${"x".repeat(n)}"}`));

const invalidUtf8Body = fc.oneof(
  fc.tuple(pick(...INVALID_UTF8), pick('{"region":"', '{"', "")).map(([bad, head]) => Buffer.concat([utf8(head), Buffer.from(bad), utf8(head === "" ? "" : '"}')])),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
);

const bodyBytes: fc.Arbitrary<Buffer> = fc.oneof(
  w(5, tokenJson.map(utf8)),
  w(3, numberBody.map(utf8)),
  w(3, pick(...PROTO_BODIES).map(utf8)),
  w(2, nestedBody.map(utf8)),
  w(2, sizedBody),
  w(1, hugeBody),
  w(2, invalidUtf8Body),
  w(2, pick("", " ", "\n\t", "\ufeff", "\u00a0", "\ufeff{}", "null", "{}", "[]", '"text"', "{", '{"region":', "{}}", "{'region':'us-east-1'}").map(utf8)),
  w(2, fc.json({ maxDepth: 3 }).map(utf8)),
  w(1, fc.string({ maxLength: 200 }).map(utf8)),
);

function isUtf8(bytes: Buffer): boolean {
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    return true;
  } catch {
    return false;
  }
}

const body: fc.Arbitrary<Body> = fc.oneof(
  w(2, fc.constant<Body>({ wire: {} })),
  w(1, fc.constant<Body>({ bytes: Buffer.alloc(0), wire: { body: null, isBase64Encoded: false } })),
  w(
    12,
    fc.tuple(bodyBytes, fc.boolean()).map(([bytes, asText]): Body =>
      asText && isUtf8(bytes)
        ? { bytes, wire: { body: bytes.toString("utf8"), isBase64Encoded: false } }
        : { bytes, wire: { body: bytes.toString("base64"), isBase64Encoded: true } },
    ),
  ),
  // Not base64 at all, though flagged as such: Lambda never sends this; only the invariants apply.
  w(1, fc.string({ maxLength: 100 }).map((s): Body => ({ wire: { body: `!!${s}`, isBase64Encoded: true } }))),
);

interface CaseParts {
  shape?: fc.Arbitrary<Shape>;
  method?: fc.Arbitrary<string>;
  path?: fc.Arbitrary<string>;
  query?: fc.Arbitrary<string>;
  auth?: fc.Arbitrary<Auth | undefined>;
  body?: fc.Arbitrary<Body>;
  headers?: fc.Arbitrary<Record<string, string>>;
}

function caseArb(parts: CaseParts = {}): fc.Arbitrary<Case> {
  return fc
    .record({
      shape: parts.shape ?? fc.constant<Shape>("normal"),
      method: parts.method ?? anyMethod,
      path: parts.path ?? anyPath,
      query: parts.query ?? query,
      requestId: fc.uuid(),
      headers: parts.headers ?? randomHeaders,
      contentType,
      auth: parts.auth ?? authArb(),
      ifNoneMatch,
      body: parts.body ?? body,
    })
    .map((c): Case => {
      const out: Case = { shape: c.shape, method: c.method, path: c.path, query: c.query, requestId: c.requestId, headers: c.headers, body: c.body };
      if (c.contentType !== undefined) out.contentType = c.contentType;
      if (c.auth !== undefined) out.auth = c.auth;
      if (c.ifNoneMatch !== undefined) out.ifNoneMatch = c.ifNoneMatch;
      return out;
    });
}

/** A route with (mostly) its own method, so that cases get past 404/405 to the deeper checks. */
function routeCase(path: fc.Arbitrary<string>, parts: CaseParts = {}): fc.Arbitrary<Case> {
  return path.chain((p) =>
    caseArb({ ...parts, path: fc.constant(p), method: fc.oneof(w(9, fc.constant(ROUTE_METHOD[p] ?? "GET")), w(1, anyMethod)) }),
  );
}

// ---------------------------------------------------------------- the oracle

/** The request's path as a lenient server might normalise it: near misses of a route are not judged. */
function looksLikeRoute(path: string): boolean {
  let normal: string;
  try {
    normal = new URL(path.replaceAll("\\", "/"), "http://x").pathname;
  } catch {
    return false;
  }
  try {
    normal = decodeURIComponent(normal);
  } catch {
    // keep it encoded
  }
  normal = normal.toLowerCase().replace(/\/{2,}/g, "/").replace(/\/+$/, "").replace(/[\s\u0000]+$/, "");
  return KNOWN_PATHS.includes(normal);
}

type TokenVerdict = { kind: "ok"; region?: string; ttl?: number } | { kind: "bad" } | { kind: "either" };

/** POST /v1/tokens body rules (docs/http-api.md), applied independently of the handler's code. */
function tokenVerdict(bytes: Buffer): TokenVerdict {
  if (bytes.length === 0) return { kind: "ok" };
  if (!isUtf8(bytes)) return { kind: "bad" };
  // RFC 8259 §8.1: a parser MAY ignore a leading UTF-8 byte order mark, so either answer is careful.
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return tokenVerdict(bytes.subarray(3)).kind === "bad" ? { kind: "bad" } : { kind: "either" };
  const text = bytes.toString("utf8");
  if (/^[ \t\r\n]*$/.test(text)) return { kind: "ok" }; // JSON whitespace only: no body
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Other Unicode "whitespace" (BOM, NBSP) alone: an empty body or not JSON, the contract does not say.
    return text.trim() === "" ? { kind: "either" } : { kind: "bad" };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { kind: "bad" };
  const record = parsed as Record<string, unknown>;
  if (Object.keys(record).some((k) => k !== "region" && k !== "ttlSeconds")) return { kind: "bad" };
  const verdict: { kind: "ok"; region?: string; ttl?: number } = { kind: "ok" };
  if (Object.hasOwn(record, "region")) {
    if (typeof record.region !== "string" || !REGIONS.includes(record.region)) return { kind: "bad" };
    verdict.region = record.region;
  }
  if (Object.hasOwn(record, "ttlSeconds")) {
    const ttl = record.ttlSeconds;
    if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 60) return { kind: "bad" };
    verdict.ttl = ttl;
  }
  return verdict;
}

type QueryVerdict = { kind: "ok"; region?: string } | { kind: "bad" };

function queryVerdict(raw: string): QueryVerdict {
  const params = new URLSearchParams(raw);
  const regions = params.getAll("region");
  const others = [...params.keys()].filter((k) => k !== "region");
  const [region] = regions;
  if (region !== undefined && !REGIONS.includes(region)) return { kind: "bad" };
  // docs/http-api.md: only region, at most once. A repeated region is a 400 even when both values agree:
  // a proxy in front may read the first and the service the last, so no reading of two is safe.
  if (regions.length > 1 || others.length > 0) return { kind: "bad" };
  return region === undefined ? { kind: "ok" } : { kind: "ok", region };
}

const mayUse = (identity: "all" | "eu" | "limited", region: string): boolean => identity !== "eu" || region === EU_ONLY;
const defaultRegionOf = (identity: "all" | "eu" | "limited"): string => (identity === "eu" ? EU_ONLY : DEFAULT_REGION);

/** What a successful answer must look like, checked on top of the status. */
type Success = { route: "health" } | { route: "regions"; identity: "all" | "eu" | "limited" } | { route: "tokens"; region: string; ttl: number } | { route: "models"; region: string };

interface Expectation {
  /** undefined: the contract leaves the status open for this event (only the invariants apply). */
  statuses?: Set<number>;
  success?: Success;
}

/** The statuses the contract allows for a case, following its check order 404 → 405 → 413 → 401 → 429 → 400 → 403. */
function expectationFor(c: Case): Expectation {
  if (c.shape === "no-requestContext" || c.shape === "no-http" || c.shape === "no-rawPath") return {};
  const method = ROUTE_METHOD[c.path];
  if (!Object.hasOwn(ROUTE_METHOD, c.path) || method === undefined) return looksLikeRoute(c.path) ? {} : { statuses: new Set([404]) };
  if (c.method !== method) {
    // A lowercase or padded spelling of the right method: Lambda never sends one, the contract does not decide.
    return c.method.trim().toUpperCase() === method ? {} : { statuses: new Set([405]) };
  }
  const out = new Set<number>();
  const size = c.body.bytes?.length;
  if (size === undefined) out.add(413);
  else if (size > MAX_BODY) return { statuses: new Set([413]) };
  // Request hygiene: an absurd query or header may be refused as a bad request once authenticated.
  const oversized = c.query.length > 1024 || Object.values(c.headers).some((v) => v.length > 8 * 1024) || (c.auth?.value.length ?? 0) > 8 * 1024 || (c.ifNoneMatch?.length ?? 0) > 8 * 1024;
  if (c.path === "/healthz") {
    out.add(200);
    if (oversized) out.add(400);
    return { statuses: out, success: { route: "health" } };
  }
  const headersGone = c.shape === "no-headers" || c.shape === "null-headers";
  const auth = headersGone ? undefined : c.auth;
  const identity = auth?.identity;
  if (identity === undefined || auth?.ambiguous === true || auth?.header !== "authorization") out.add(401);
  if (identity === undefined) return { statuses: out };
  if (identity === "limited") out.add(429);
  const query = c.shape === "no-query" ? "" : c.query;
  if (oversized || (c.path !== "/v1/models" && query !== "")) out.add(400);

  let success: Success | undefined;
  switch (c.path) {
    case "/v1/regions":
      out.add(200);
      success = { route: "regions", identity };
      break;
    case "/v1/tokens": {
      const verdict = c.body.bytes === undefined ? { kind: "either" as const } : tokenVerdict(c.body.bytes);
      if (verdict.kind !== "ok") out.add(400);
      if (verdict.kind === "bad") break;
      const region = (verdict.kind === "ok" ? verdict.region : undefined) ?? defaultRegionOf(identity);
      if (verdict.kind === "either") {
        out.add(200).add(403);
        break;
      }
      if (!mayUse(identity, region)) {
        out.add(403);
        break;
      }
      out.add(200);
      success = { route: "tokens", region, ttl: Math.min(verdict.ttl ?? DEFAULT_TTL, SERVER_MAX_TTL) };
      break;
    }
    case "/v1/models": {
      const verdict = queryVerdict(query);
      if (verdict.kind === "bad") {
        out.add(400);
        break;
      }
      const region = verdict.region ?? defaultRegionOf(identity);
      if (!mayUse(identity, region)) {
        out.add(403);
        break;
      }
      out.add(200);
      if (!headersGone && c.ifNoneMatch !== undefined && /["*]/.test(c.ifNoneMatch)) out.add(304);
      success = { route: "models", region };
      break;
    }
  }
  return success === undefined ? { statuses: out } : { statuses: out, success };
}

// ---------------------------------------------------------------- checks

class Violation extends Error {}

function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new Violation(message);
}

/** Stack frames, source paths and error-class prefixes: none may come back unless the caller sent it. */
const TRACE_PATTERNS = [/\bat [\w$.<>]+ \(/g, /\bat (?:file|node):/g, /\.(?:ts|mts|cts|js|mjs|cjs):\d+/g, /\b\w*Error:/g, /node_modules/g, /file:\/\//g, /\/var\/task/g];

function inputText(c: Case): string {
  const parts = [c.method, c.path, c.query, c.contentType ?? "", c.auth?.value ?? "", c.ifNoneMatch ?? "", ...Object.entries(c.headers).flat()];
  if (c.body.bytes !== undefined) {
    const text = c.body.bytes.toString("utf8");
    parts.push(text);
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === "object" && parsed !== null) parts.push(...Object.keys(parsed));
    } catch {
      // not JSON
    }
  }
  if (typeof c.body.wire.body === "string") parts.push(c.body.wire.body);
  return parts.join("\n");
}

function prototypeSnapshot(): string[] {
  return [Object.prototype, Array.prototype, Function.prototype, String.prototype].flatMap((proto, i) =>
    Object.getOwnPropertyNames(proto).map((name) => `${i}:${name}`),
  );
}

function checkPrototypes(): void {
  const probe: Record<string, unknown> = {};
  check(probe.polluted === undefined && probe.ttlSeconds === undefined && probe.region === undefined, "Object.prototype was polluted");
  check(JSON.stringify(prototypeSnapshot()) === JSON.stringify(prototypeBefore), "a built-in prototype gained or lost a property");
}

interface TokenAnswer {
  token: string;
  tokenType: string;
  region: string;
  baseUrl: string;
  issuedAt: string;
  expiresAt: string;
  expiresInSeconds: number;
}

async function checkSuccess(success: Success, result: FunctionUrlResult, c: Case): Promise<void> {
  if (result.statusCode === 304) {
    check(success.route === "models", "304 outside GET /v1/models");
    check(c.ifNoneMatch !== undefined, "304 without If-None-Match");
    check(typeof result.headers.etag === "string", "304 without etag");
    return;
  }
  const parsed: unknown = JSON.parse(result.body);
  switch (success.route) {
    case "health":
      check(isRecord(parsed) && parsed.status === "ok" && typeof parsed.version === "string", "healthz answer has the wrong shape");
      return;
    case "regions": {
      check(isRecord(parsed) && Array.isArray(parsed.regions), "regions answer has the wrong shape");
      const expected = success.identity === "eu" ? [EU_ONLY] : [...REGIONS];
      check(parsed.defaultRegion === defaultRegionOf(success.identity), "wrong defaultRegion");
      check(
        JSON.stringify(parsed.regions) === JSON.stringify(expected.map((region) => ({ region, baseUrl: `${emulator.rootFor(region)}/v1` }))),
        "regions list is not the key's allowlisted regions",
      );
      return;
    }
    case "tokens": {
      check(isRecord(parsed), "token answer is not an object");
      const answer = parsed as unknown as TokenAnswer;
      check(
        JSON.stringify(Object.keys(parsed).sort()) === JSON.stringify(["baseUrl", "expiresAt", "expiresInSeconds", "issuedAt", "region", "token", "tokenType"]),
        `token answer has fields ${Object.keys(parsed).join(",")}`,
      );
      check(answer.tokenType === "bearer" && answer.region === success.region, `token for ${answer.region}, expected ${success.region}`);
      check(answer.baseUrl === `${emulator.rootFor(success.region)}/v1`, "token baseUrl is not the region's Mantle root + /v1");
      check(answer.expiresInSeconds === success.ttl, `expiresInSeconds ${answer.expiresInSeconds}, expected ${success.ttl}`);
      check(Date.parse(answer.expiresAt) - Date.parse(answer.issuedAt) === success.ttl * 1000, "expiresAt - issuedAt is not the TTL");
      check(result.headers["cache-control"] === "no-store", "token answer is cacheable");
      const verified = await verifyBearerToken(answer.token, { region: success.region, nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] });
      check(verified.ok, `the emulator refuses the minted token: ${verified.ok ? "" : verified.reason}`);
      check(verified.ok && verified.expiresAt.getTime() === Date.parse(answer.expiresAt), "the token's real expiry differs from expiresAt");
      return;
    }
    case "models": {
      check(isRecord(parsed) && Array.isArray(parsed.models), "models answer has the wrong shape");
      check(parsed.region === success.region && parsed.baseUrl === `${emulator.rootFor(success.region)}/v1`, "models answer for the wrong region");
      const ids = (parsed.models as Array<{ id: string }>).map((m) => m.id);
      check(ids.every((id, i) => i === 0 || (ids[i - 1] as string) < id), "models are not sorted by id in code-unit order");
      check(typeof parsed.stale === "boolean", "stale is not a boolean");
      check(typeof result.headers.etag === "string" && /^private, max-age=\d+$/.test(result.headers["cache-control"] ?? ""), "models answer lacks etag or cache-control");
      return;
    }
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

const HEALTHZ: FunctionUrlEvent = {
  version: "2.0",
  rawPath: "/healthz",
  rawQueryString: "",
  headers: {},
  requestContext: { requestId: "healthz-probe", http: { method: "GET", path: "/healthz" } },
};

/** Runs one case through the bundled handler and checks every property of the contract that applies. */
async function runCase(c: Case): Promise<void> {
  casesRun += 1;
  const event = toEvent(c);
  let result: FunctionUrlResult;
  try {
    result = await handler(event);
  } catch (error) {
    throw new Violation(`the handler threw instead of answering: ${String(error)}`);
  }
  const status = result.statusCode;
  statusCounts.set(status, (statusCounts.get(status) ?? 0) + 1);
  check(CONTRACT_STATUSES.includes(status), `status ${status} is not a contract status`);
  // The fakes are healthy and nothing here injects a fault: any 5xx is an input the handler failed to handle.
  check(status < 500, `status ${status} (${result.body.slice(0, 200)}) for an input the handler should have handled`);
  const requestId = result.headers["x-request-id"];
  check(typeof requestId === "string" && requestId.length > 0, "no x-request-id header");

  if (status === 304) {
    check(result.body === "", "304 with a body");
  } else {
    check(result.headers["content-type"] === "application/json; charset=utf-8", `content-type ${result.headers["content-type"]}`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(result.body);
    } catch {
      throw new Violation("the body is not JSON");
    }
    if (status !== 200) {
      check(isRecord(parsed) && JSON.stringify(Object.keys(parsed)) === '["error"]', "the error body is not exactly {error}");
      const error = parsed.error;
      check(isRecord(error) && JSON.stringify(Object.keys(error).sort()) === '["code","message","requestId"]', "the envelope is not exactly {code,message,requestId}");
      check(error.code === ERROR_CODES[status], `code ${String(error.code)} for status ${status}`);
      check(typeof error.message === "string" && error.message.length > 0, "empty error message");
      check(error.requestId === requestId, "envelope requestId differs from x-request-id");
      if (status === 401) check(result.headers["www-authenticate"] === "Bearer", "401 without www-authenticate: Bearer");
      if (status === 405) check(Object.values(ROUTE_METHOD).includes(result.headers.allow ?? ""), "405 without an allow header");
      if (status === 429) check(/^[1-9]\d*$/.test(result.headers["retry-after"] ?? ""), "429 without a whole-seconds retry-after");
    }
  }

  const answer = JSON.stringify(result);
  const input = inputText(c);
  for (const pattern of TRACE_PATTERNS) {
    for (const [found] of answer.matchAll(pattern)) {
      check(input.includes(found), `the answer leaks internal detail: ${JSON.stringify(found)}`);
    }
  }
  for (const secret of secrets) check(!answer.includes(secret), "the answer contains an API key or its secret");

  const expected = expectationFor(c);
  if (expected.statuses !== undefined) {
    check(expected.statuses.has(status), `status ${status}, the contract allows ${[...expected.statuses].join("/")}: ${result.body.slice(0, 200)}`);
  }
  if (expected.success !== undefined && (status === 200 || status === 304)) await checkSuccess(expected.success, result, c);

  checkPrototypes();
  const health = await handler(HEALTHZ);
  check(health.statusCode === 200, `healthz answers ${health.statusCode} after this case`);
}

/**
 * Runs one property and checks, for that block alone, that it ran its cases and reached the
 * outcomes it exists to reach: no block relies on another having run before it.
 */
async function assertProperty(arb: fc.Arbitrary<Case>, numRuns: number, reaches: readonly number[]): Promise<void> {
  const before = new Map(statusCounts);
  const casesBefore = casesRun;
  await fc.assert(fc.asyncProperty(arb, runCase), { seed: SEED, numRuns });
  const reached = new Map([...statusCounts].map(([status, count]) => [status, count - (before.get(status) ?? 0)]));
  expect(casesRun - casesBefore).toBeGreaterThanOrEqual(numRuns);
  for (const status of reaches) expect(reached.get(status) ?? 0, `status ${status}`).toBeGreaterThan(0);
}

// ---------------------------------------------------------------- properties

const TIMEOUT = { timeout: 120_000 };

describe("every answer of the bundled handler keeps the HTTP contract, whatever the event", () => {
  it("arbitrary methods and raw paths (known, near misses, dot segments, encoded bytes, very long) get 404 → 405 → 413 in order, and the envelope", TIMEOUT, async () => {
    await assertProperty(caseArb(), RUNS.routing, [200, 400, 401, 404, 405, 413]);
  });

  it("arbitrary authorization headers (valid, near-valid, expired, revoked, rotated, huge) get 401 exactly when no usable key is presented", TIMEOUT, async () => {
    await assertProperty(routeCase(pick("/v1/regions", "/v1/tokens", "/v1/models")), RUNS.auth, [200, 401, 429]);
  });

  it("arbitrary token bodies (invalid UTF-8, > 8 KiB, deep nesting, __proto__/constructor keys, 1e400, -0, 60.0) get 413/400/403, and valid ones a token Mantle accepts", TIMEOUT, async () => {
    await assertProperty(
      routeCase(fc.constant("/v1/tokens"), { auth: fc.oneof(w(8, authArb().filter((a) => a?.identity !== undefined)), w(1, authArb())) }),
      RUNS.tokens,
      [200, 400, 403, 413],
    );
  });

  it("arbitrary queries (duplicated region, garbage encoding, huge) and If-None-Match junk on /v1/models and /v1/regions get 400/403/200/304 as the contract says", TIMEOUT, async () => {
    await assertProperty(
      routeCase(pick("/v1/models", "/v1/models", "/v1/regions"), { auth: fc.oneof(w(8, authArb().filter((a) => a?.identity !== undefined)), w(1, authArb())) }),
      RUNS.models,
      [200, 304, 400, 403],
    );
  });

  it("events missing requestContext, http, requestId, headers, rawPath or rawQueryString still get an enveloped answer with a request id", TIMEOUT, async () => {
    await assertProperty(
      caseArb({
        shape: pick<Shape>("no-requestContext", "no-http", "no-requestId", "no-headers", "null-headers", "no-rawPath", "no-query"),
        path: fc.oneof(w(3, knownPath), w(1, anyPath)),
      }),
      RUNS.shapes,
      [200, 401, 404],
    );
  });
});

describe("the container survives the fuzzing", () => {
  it(`the properties above run at least ${MIN_TOTAL_CASES} cases between them`, () => {
    expect(Object.values(RUNS).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(MIN_TOTAL_CASES);
  });

  it("Object.prototype and the other built-in prototypes are unpolluted afterwards", () => {
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(prototypeSnapshot()).toEqual(prototypeBefore);
  });

  it("still answers healthz and still mints a token Mantle accepts", async () => {
    const health = await handler({ ...HEALTHZ, requestContext: { requestId: randomUUID(), http: { method: "GET", path: "/healthz" } } });
    expect(health.statusCode).toBe(200);
    const minted = await handler({
      version: "2.0",
      rawPath: "/v1/tokens",
      rawQueryString: "",
      headers: { authorization: `Bearer ${keys.all}` },
      requestContext: { requestId: randomUUID(), http: { method: "POST", path: "/v1/tokens" } },
    });
    expect(minted.statusCode).toBe(200);
    const { token, region } = JSON.parse(minted.body) as TokenAnswer;
    expect((await verifyBearerToken(token, { region, nowMs: Date.now(), credentials: [EMULATOR_CREDENTIALS] })).ok).toBe(true);
  });
});
