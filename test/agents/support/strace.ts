/** Reads `strace -f -e trace=connect,execve` output: where a process tree tried to connect, what it ran. */

export interface Connect {
  family: string;
  address: string;
  port: number | undefined;
  line: string;
}

/** Every connect() attempt of the trace (whatever its result). */
export function connects(trace: string): Connect[] {
  const out: Connect[] = [];
  for (const line of trace.split("\n")) {
    if (!line.includes("connect(")) continue;
    const family = /sa_family=(AF_[A-Z0-9]+)/.exec(line)?.[1] ?? "unknown";
    const port = /sin6?_port=htons\((\d+)\)/.exec(line)?.[1];
    const address =
      /sin_addr=inet_addr\("([^"]+)"\)/.exec(line)?.[1] ??
      /inet_pton\(AF_INET6, "([^"]+)"/.exec(line)?.[1] ??
      /sun_path=(@?"[^"]*")/.exec(line)?.[1] ??
      "";
    out.push({ family, address, port: port === undefined ? undefined : Number(port), line: line.trim() });
  }
  return out;
}

function isLoopback(c: Connect): boolean {
  if (c.family === "AF_INET") return /^127\./.test(c.address);
  if (c.family === "AF_INET6") return c.address === "::1" || /^::ffff:127\./.test(c.address);
  return false;
}

/**
 * Attempts that could leave the machine: IPv4/IPv6 to anything but loopback, and any family the
 * trace does not show. Unix sockets (nscd, D-Bus), AF_UNSPEC (how UDP sockets disconnect) and
 * netlink stay on the machine.
 */
export function leavingLoopback(all: readonly Connect[]): Connect[] {
  return all.filter((c) => !["AF_UNIX", "AF_UNSPEC", "AF_NETLINK"].includes(c.family) && !isLoopback(c));
}

/**
 * How many times the trace shows a program started (a successful execve) with all of `words` among
 * its arguments. A script's `#!/usr/bin/env node` starts node with the same arguments: that second
 * execve (argv[0] "node") is the same run and is not counted.
 */
export function execCount(trace: string, words: readonly string[]): number {
  return trace
    .split("\n")
    .filter((line) => line.includes("execve(") && / = 0$/.test(line) && !line.includes('["node", ') && words.every((w) => line.includes(`"${w}"`)))
    .length;
}
