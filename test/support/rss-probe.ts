// Preloaded with `node --expose-gc --import tsx --import <this file>` into a server process that a
// test forks with an IPC channel: on {type:"rss"} it forces a full GC and answers with the process's
// memory figures. Test harness only — the product's HTTP API has no such route.

interface RssRequest {
  type: "rss";
}

export type RssAnswer = { type: "rss"; rss: number; heapUsed: number } | { type: "rss"; error: string };

process.on("message", (message: unknown) => {
  if (typeof message !== "object" || message === null || (message as Partial<RssRequest>).type !== "rss") return;
  const collect = globalThis.gc;
  let answer: RssAnswer;
  if (collect === undefined) {
    answer = { type: "rss", error: "the server was started without --expose-gc" };
  } else {
    // Twice: the first pass can leave garbage only reachable from finalizers.
    collect();
    collect();
    const { rss, heapUsed } = process.memoryUsage();
    answer = { type: "rss", rss, heapUsed };
  }
  process.send?.(answer);
});
