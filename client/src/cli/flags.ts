/** Every flag of `mantle-vend`: the parser reads values by this table and help prints its lines. */

export interface FlagSpec {
  /** The value's placeholder for a flag that takes one (`--url URL`); absent for a switch. */
  readonly value?: string;
  /** Shown in place of the placeholder, as the value used when the flag is absent. */
  readonly default?: string;
  /** A one-letter alias (`-h`). */
  readonly short?: string;
  readonly help: string;
}

export const FLAGS = {
  url: { value: "URL", help: "the service URL (default: $MANTLE_VEND_URL)" },
  region: { value: "REGION", help: "the region (default: $AWS_REGION, else the server's default for the key)" },
  identity: {
    value: "SPEC",
    help: "present an OIDC identity instead of an API key (default: $MANTLE_VEND_IDENTITY): github-actions[:AUDIENCE], file:PATH, command:CMD, gcp:AUDIENCE, azure:RESOURCE or login",
  },
  "allow-insecure-http": { help: "allow a plain http:// service URL that is not loopback" },
  help: { short: "h", help: "help for the command" },
  version: { short: "V", help: "print the version" },
  json: { help: "print the server's JSON object" },
  "no-cache": { help: "always ask the server; neither read nor write the token cache" },
  ttl: { value: "SECONDS", help: "a new token of this lifetime (60 to 43200; the service may grant less), never from the cache" },
  "secret-ref": { help: "apiKey is resolved by this CLI's openclaw-resolver (declared under secrets.providers)" },
  proxy: { value: "URL", help: "go through the mantle-vend proxy at URL, which adds the token itself" },
  port: { value: "PORT", default: "8788", help: "the port to listen on (0: any free port)" },
  host: { value: "HOST", default: "127.0.0.1", help: "the address to listen on" },
  "require-key": { help: "demand a key as Authorization: Bearer or x-api-key: made at the first start, printed once, kept for later starts" },
  "rotate-key": { help: "with --require-key: make a new key (printed once, kept) instead of the kept one" },
  "drain-seconds": { value: "SECONDS", default: "30", help: "on SIGINT/SIGTERM, how long requests in flight (streams too) may run on" },
  model: { value: "ID", help: "the default model (else the first of the catalog the tool can call)" },
  write: { help: "merge into the tool's config file (atomic, previous kept as <file>.bak, a diff on stderr)" },
  "dry-run": { help: "with --write: print the diff only, write nothing" },
  "config-file": { value: "FILE", help: "with --write: this file instead of the tool's standard place" },
  default: { help: "with --write: also make it the tool's default model" },
} as const satisfies Record<string, FlagSpec>;

export type Flag = keyof typeof FLAGS;

/** Flags every command takes. */
export const GLOBAL_FLAGS: readonly Flag[] = ["url", "region", "identity", "allow-insecure-http", "help"];

export function isFlag(name: string): name is Flag {
  return Object.hasOwn(FLAGS, name);
}

/** `--url URL`, `--port 8788`, `--json`: how a flag reads in a usage line. */
export function flagUsage(name: Flag): string {
  const spec: FlagSpec = FLAGS[name];
  const value = spec.default ?? spec.value;
  return value === undefined ? `--${name}` : `--${name} ${value}`;
}

/** The flags a command line gave: a string flag's value, or true for a switch. */
export interface GivenFlags {
  readonly flags: ReadonlyMap<Flag, string | true>;
}

/** A string flag's value, if given. */
export function stringFlag(args: GivenFlags, name: Flag): string | undefined {
  const value = args.flags.get(name);
  return typeof value === "string" ? value : undefined;
}
