import { isIP } from "node:net";

/** 127.0.0.0/8, ::1 and `localhost`; a URL's bracketed IPv6 hostname is accepted too. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || (isIP(bare) === 4 && bare.startsWith("127."));
}
