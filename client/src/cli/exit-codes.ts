/** Exit codes of the `mantle-vend` CLI (documented in README.md). `exec` passes its child's status through. */
export const EXIT = {
  OK: 0,
  /** The server answered with an error not listed below (400, 404, 429 after retries, 5xx, a malformed answer). */
  FAILURE: 1,
  /** Bad command line: unknown command or option, missing value. */
  USAGE: 2,
  /** Missing or malformed configuration: no service URL, API key or identity; a URL that is not http(s). */
  CONFIG: 3,
  /** The server could not be reached (connection refused, DNS, TLS, timeout) after retries. */
  UNREACHABLE: 4,
  /** The server rejected the API key or identity (401), or the login expired and cannot be renewed. */
  UNAUTHORIZED: 5,
  /** The key may not use the region (403), or the service does not serve it (400 for the region). */
  FORBIDDEN: 6,
  /** A tool's config file cannot be read, merged or written (setup --write), or is out of date (doctor). */
  TOOL_CONFIG: 7,
  /** `exec`: the command could not be run / was not found (as in shells). */
  CANNOT_EXECUTE: 126,
  COMMAND_NOT_FOUND: 127,
} as const;
