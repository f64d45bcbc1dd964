// One Lambda container in a process of its own, on fake time: the parent moves its clock, so a test
// drives several containers through seconds or days of their time without waiting for any of it.
// Messages (IPC): {id, type: "invoke", event} → {id, result, startedAt, endedAt}; {id, type: "time", now};
// {id, type: "advance", ms} (with fake timers); {id, type: "mark"} writes `@@mark <id>` on stdout, after
// everything written before it. Real I/O (sockets to the fakes, IPC) runs as usual.
import FakeTimers from "@sinonjs/fake-timers";
import { pathToFileURL } from "node:url";

const [bundle, startMs, timers] = process.argv.slice(2);
// Date always; the timers only when asked ("timers"): they drive the AWS SDK's timeouts and retry
// pauses, but Node's fetch (undici) runs its own clock on them and stalls while they stand still.
const toFake = timers === "timers" ? ["Date", "setTimeout", "clearTimeout"] : ["Date"];
const clock = FakeTimers.withGlobal(globalThis).install({ now: Number(startMs), toFake });
const { handler } = await import(pathToFileURL(bundle).href);

process.on("message", async (message) => {
  if (message.type === "invoke") {
    const startedAt = Date.now();
    const result = await handler(message.event);
    process.send({ id: message.id, result, startedAt, endedAt: Date.now() });
  } else if (message.type === "time") {
    clock.setSystemTime(message.now);
    process.send({ id: message.id });
  } else if (message.type === "advance") {
    await clock.tickAsync(message.ms);
    process.send({ id: message.id });
  } else if (message.type === "mark") {
    process.stdout.write(`@@mark ${message.id}\n`, () => process.send({ id: message.id }));
  }
});
process.send({ type: "ready" });
