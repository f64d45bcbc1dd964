/** A dotted-quad IPv4 address, as node:net's isIPv4 accepts it (no leading zeros). */
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;

/**
 * 127.0.0.0/8, ::1 and `localhost`; a URL's bracketed IPv6 hostname is accepted too. A pattern, not
 * node:net: loading net (and the streams it needs) would be a good part of a `mantle-vend token` run.
 */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || (IPV4.test(bare) && bare.startsWith("127."));
}
