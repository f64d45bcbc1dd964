import {
  DeleteParameterCommand,
  GetParameterCommand,
  GetParametersByPathCommand,
  GetParametersCommand,
  PutParameterCommand,
  SSMClient,
  SSMServiceException,
  ThrottlingException,
  paginateGetParametersByPath,
  type Parameter,
} from "@aws-sdk/client-ssm";
import { ConfiguredRetryStrategy } from "@smithy/core/retry";
import { setImmediate } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { SsmFake } from "./ssm-fake.js";
import { timingOutSsmClient } from "../support/ssm.js";
import { FakeTime, tracked } from "../support/fake-time.js";

// Belt and braces: no credential or region lookup may reach out of the machine.
process.env.AWS_EC2_METADATA_DISABLED = "true";

let fake: SsmFake;
const clients: SSMClient[] = [];

function client(options: { maxAttempts?: number; requestTimeout?: number; throwOnRequestTimeout?: boolean; warn?: (message: string) => void } = {}): SSMClient {
  const { maxAttempts = 1, requestTimeout, throwOnRequestTimeout, warn = () => {} } = options;
  const c = new SSMClient({
    endpoint: fake.url,
    region: "eu-west-1",
    credentials: { accessKeyId: "AKIDFAKEFAKEFAKE", secretAccessKey: "fake-secret" },
    // The SDK's retries without their backoff delay: what is retried matters here, not when.
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 0),
    ...(requestTimeout === undefined ? {} : { requestHandler: { requestTimeout, throwOnRequestTimeout } }),
    // Quiet unless a test listens: the SDK warns on a breached requestTimeout when it does not throw.
    logger: { debug: () => {}, info: () => {}, warn: (message: unknown) => warn(String(message)), error: () => {} },
  });
  clients.push(c);
  return c;
}

/** Resolves once the fake holds `count` requests. */
function held(count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = (): void => {
      if (fake.held < count) return;
      stop();
      resolve();
    };
    const stop = fake.onHold(() => queueMicrotask(check));
    check();
  });
}

/** The rejection of `p`, which must reject. */
async function failure(p: Promise<unknown>): Promise<Error & { $fault?: string; $metadata?: { httpStatusCode?: number; attempts?: number } }> {
  try {
    await p;
  } catch (e) {
    if (e instanceof Error) return e;
    throw new Error(`rejected with a non-Error: ${String(e)}`);
  }
  throw new Error("expected the call to fail, it succeeded");
}

beforeAll(async () => {
  fake = await SsmFake.start();
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  for (const name of fake.names()) fake.delete(name);
  fake.clearFaults();
  fake.resetCalls();
});
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

describe("round-trips with the real SSMClient", () => {
  it("PutParameter creates version 1 in the Standard tier and GetParameter reads it back with metadata", async () => {
    const ssm = client();
    const put = await ssm.send(new PutParameterCommand({ Name: "/app/greeting", Value: "hello", Type: "String" }));
    expect(put).toMatchObject({ Version: 1, Tier: "Standard" });
    expect(put.$metadata.requestId).toMatch(/^[0-9a-f-]{36}$/);

    const { Parameter: p } = await ssm.send(new GetParameterCommand({ Name: "/app/greeting" }));
    expect(p).toMatchObject({
      Name: "/app/greeting",
      Type: "String",
      Value: "hello",
      Version: 1,
      DataType: "text",
      ARN: "arn:aws:ssm:eu-west-1:123456789012:parameter/app/greeting",
    });
    expect(p?.LastModifiedDate).toBeInstanceOf(Date);
    expect(Math.abs((p?.LastModifiedDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5_000);
  });

  it("GetParameter on a missing name fails with ParameterNotFound", async () => {
    const err = await failure(client().send(new GetParameterCommand({ Name: "/nope" })));
    expect(err.name).toBe("ParameterNotFound");
    expect(err.message).toBe("Parameter /nope not found.");
    expect(err).toBeInstanceOf(SSMServiceException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it("GetParameters returns the found parameters and lists the missing names as InvalidParameters", async () => {
    fake.seed("/a", "1");
    fake.seed("/b", "2");
    const out = await client().send(new GetParametersCommand({ Names: ["/a", "/missing", "/b"] }));
    expect(out.Parameters?.map((p) => [p.Name, p.Value])).toEqual([
      ["/a", "1"],
      ["/b", "2"],
    ]);
    expect(out.InvalidParameters).toEqual(["/missing"]);
  });

  it("GetParametersByPath returns the parameters under a path", async () => {
    fake.seed("/svc/x", "1");
    fake.seed("/svc/y", "2");
    fake.seed("/other/z", "3");
    const out = await client().send(new GetParametersByPathCommand({ Path: "/svc" }));
    expect(out.Parameters?.map((p) => p.Name)).toEqual(["/svc/x", "/svc/y"]);
    expect(out.NextToken).toBeUndefined();
  });

  it("DeleteParameter removes the parameter, and a second delete fails with ParameterNotFound", async () => {
    const ssm = client();
    fake.seed("/gone", "x");
    await expect(ssm.send(new DeleteParameterCommand({ Name: "/gone" }))).resolves.toBeDefined();
    expect(fake.value("/gone")).toBeUndefined();
    const err = await failure(ssm.send(new DeleteParameterCommand({ Name: "/gone" })));
    expect(err.name).toBe("ParameterNotFound");
  });

  it("an unknown action is answered 400 UnknownOperationException", async () => {
    const res = await fetch(fake.url, {
      method: "POST",
      headers: { "x-amz-target": "AmazonSSM.LaunchRockets", authorization: "AWS4-HMAC-SHA256 Credential=x", "content-type": "application/x-amz-json-1.1" },
      body: "{}",
    });
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("application/x-amz-json-1.1");
    expect(await res.json()).toMatchObject({ __type: expect.stringMatching(/#UnknownOperationException$/) });
  });

  it("the SDK names an unknown-operation error after the part of __type behind '#'", async () => {
    const ssm = client();
    ssm.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers["x-amz-target"] = "AmazonSSM.LaunchRockets";
        return next(args);
      },
      { step: "build" },
    );
    const err = await failure(ssm.send(new GetParameterCommand({ Name: "/a" })));
    expect(err.name).toBe("UnknownOperationException");
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(fake.calls).toEqual([{ action: "LaunchRockets", name: "/a", status: 400 }]);
  });

  it("a request without an Authorization header is refused", async () => {
    const res = await fetch(fake.url, { method: "POST", headers: { "x-amz-target": "AmazonSSM.GetParameter" }, body: '{"Name":"/a"}' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ __type: "MissingAuthenticationTokenException" });
  });
});

describe("PutParameter versions and ParameterAlreadyExists", () => {
  it("an existing name without Overwrite fails with ParameterAlreadyExists and leaves the value alone", async () => {
    const ssm = client();
    await ssm.send(new PutParameterCommand({ Name: "/k", Value: "first", Type: "String" }));
    const err = await failure(ssm.send(new PutParameterCommand({ Name: "/k", Value: "second", Type: "String" })));
    expect(err.name).toBe("ParameterAlreadyExists");
    expect(err.message).toBe("The parameter already exists. To overwrite this value, set the overwrite option in the request to true.");
    expect(fake.value("/k")).toBe("first");
  });

  it("each overwrite increments the version", async () => {
    const ssm = client();
    await ssm.send(new PutParameterCommand({ Name: "/k", Value: "v1", Type: "String" }));
    const v2 = await ssm.send(new PutParameterCommand({ Name: "/k", Value: "v2", Type: "String", Overwrite: true }));
    const v3 = await ssm.send(new PutParameterCommand({ Name: "/k", Value: "v3", Overwrite: true }));
    expect([v2.Version, v3.Version]).toEqual([2, 3]);
    const { Parameter: p } = await ssm.send(new GetParameterCommand({ Name: "/k" }));
    expect([p?.Value, p?.Version, p?.Type]).toEqual(["v3", 3, "String"]);
  });

  it("creating a parameter without a Type is a ValidationException", async () => {
    const err = await failure(client().send(new PutParameterCommand({ Name: "/untyped", Value: "x" })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toBe("A parameter type is required when you create a parameter.");
  });
});

describe("SecureString decryption", () => {
  it("the plaintext comes back only WithDecryption; otherwise an opaque ciphertext", async () => {
    const ssm = client();
    await ssm.send(new PutParameterCommand({ Name: "/secret", Value: "hunter2", Type: "SecureString" }));
    expect(fake.value("/secret")).toBe("hunter2");

    const plain = await ssm.send(new GetParameterCommand({ Name: "/secret", WithDecryption: true }));
    expect(plain.Parameter).toMatchObject({ Type: "SecureString", Value: "hunter2" });

    const sealed = await ssm.send(new GetParameterCommand({ Name: "/secret" }));
    expect(sealed.Parameter?.Value).not.toContain("hunter2");
    expect(sealed.Parameter?.Value).toMatch(/^AQICAH[A-Za-z0-9+/=]+$/);
  });

  it("GetParameters and GetParametersByPath decrypt the same way", async () => {
    const ssm = client();
    fake.seed("/s/one", "p1", { type: "SecureString" });
    fake.seed("/s/two", "plain", { type: "String" });
    const values = (ps: Parameter[] | undefined): Array<string | undefined> => (ps ?? []).map((p) => p.Value);

    const byNames = await ssm.send(new GetParametersCommand({ Names: ["/s/one", "/s/two"] }));
    expect(values(byNames.Parameters)[0]).not.toBe("p1");
    expect(values(byNames.Parameters)[1]).toBe("plain");
    const byNamesDecrypted = await ssm.send(new GetParametersCommand({ Names: ["/s/one", "/s/two"], WithDecryption: true }));
    expect(values(byNamesDecrypted.Parameters)).toEqual(["p1", "plain"]);

    const byPath = await ssm.send(new GetParametersByPathCommand({ Path: "/s", WithDecryption: true }));
    expect(values(byPath.Parameters)).toEqual(["p1", "plain"]);
  });
});

describe("value length limits per tier (AWS's ValidationException text)", () => {
  const STANDARD_TEXT =
    "Standard tier parameters support a maximum parameter value of 4096 characters. To create a larger parameter value, upgrade the parameter to use the advanced-parameter tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/userguide/parameter-store-advanced-parameters.html";
  const ADVANCED_TEXT = "The specified parameter value is too large. Advanced-tier parameters support a maximum parameter value of 8192 characters.";

  it("Standard accepts 4,096 characters and refuses 4,097", async () => {
    const ssm = client();
    await expect(ssm.send(new PutParameterCommand({ Name: "/std/ok", Value: "x".repeat(4096), Type: "String" }))).resolves.toMatchObject({ Tier: "Standard" });
    const err = await failure(ssm.send(new PutParameterCommand({ Name: "/std/big", Value: "x".repeat(4097), Type: "String" })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toBe(STANDARD_TEXT);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(fake.value("/std/big")).toBeUndefined();
  });

  it("the default tier is Standard, so an untiered 4,097-character value is refused too", async () => {
    const err = await failure(client().send(new PutParameterCommand({ Name: "/std/big", Value: "x".repeat(4097), Type: "SecureString" })));
    expect([err.name, err.message]).toEqual(["ValidationException", STANDARD_TEXT]);
  });

  it("Advanced accepts 8,192 characters and refuses 8,193", async () => {
    const ssm = client();
    await expect(ssm.send(new PutParameterCommand({ Name: "/adv/ok", Value: "x".repeat(8192), Type: "String", Tier: "Advanced" }))).resolves.toMatchObject({
      Tier: "Advanced",
    });
    const err = await failure(ssm.send(new PutParameterCommand({ Name: "/adv/big", Value: "x".repeat(8193), Type: "String", Tier: "Advanced" })));
    expect([err.name, err.message]).toEqual(["ValidationException", ADVANCED_TEXT]);
  });

  it("Intelligent-Tiering stays Standard while the value fits and promotes to Advanced when it does not", async () => {
    const ssm = client();
    const small = await ssm.send(new PutParameterCommand({ Name: "/it/small", Value: "x".repeat(4096), Type: "String", Tier: "Intelligent-Tiering" }));
    const large = await ssm.send(new PutParameterCommand({ Name: "/it/large", Value: "x".repeat(4097), Type: "String", Tier: "Intelligent-Tiering" }));
    expect([small.Tier, large.Tier]).toEqual(["Standard", "Advanced"]);
  });

  it("an Advanced parameter cannot be overwritten as Standard", async () => {
    const ssm = client();
    await ssm.send(new PutParameterCommand({ Name: "/adv/p", Value: "v", Type: "String", Tier: "Advanced" }));
    const err = await failure(ssm.send(new PutParameterCommand({ Name: "/adv/p", Value: "w", Tier: "Standard", Overwrite: true })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toMatch(/can't downgrade/);
  });
});

describe("GetParameters takes at most 10 names", () => {
  it("10 names are fine, 11 are a ValidationException listing them", async () => {
    const ssm = client();
    const names = Array.from({ length: 11 }, (_, i) => `/n/${i}`);
    for (const n of names) fake.seed(n, n);
    const ten = await ssm.send(new GetParametersCommand({ Names: names.slice(0, 10) }));
    expect(ten.Parameters).toHaveLength(10);

    const err = await failure(ssm.send(new GetParametersCommand({ Names: names })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toBe(
      `1 validation error detected: Value '[${names.join(", ")}]' at 'names' failed to satisfy constraint: Member must have length less than or equal to 10.`,
    );
  });
});

describe("GetParametersByPath pagination", () => {
  async function allPages(ssm: SSMClient, Path: string, Recursive: boolean): Promise<string[][]> {
    const pages: string[][] = [];
    for await (const page of paginateGetParametersByPath({ client: ssm }, { Path, Recursive })) {
      pages.push((page.Parameters ?? []).map((p) => p.Name ?? ""));
    }
    return pages;
  }
  const pad = (i: number): string => String(i).padStart(2, "0");

  it("non-recursive: 25 direct children come in 3 pages (10, 10, 5) and deeper names are left out", async () => {
    for (let i = 0; i < 25; i++) fake.seed(`/flat/p${pad(i)}`, `v${i}`);
    for (let i = 0; i < 5; i++) fake.seed(`/flat/deeper/q${i}`, "nested");
    fake.seed("/flatter", "sibling with a shared prefix");

    const pages = await allPages(client(), "/flat", false);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat()).toEqual(Array.from({ length: 25 }, (_, i) => `/flat/p${pad(i)}`));
    expect(fake.count("GetParametersByPath")).toBe(3);
  });

  it("recursive: 25 parameters at several depths come in 3 pages, each exactly once", async () => {
    const names = Array.from({ length: 25 }, (_, i) => `/tree/${"d/".repeat(i % 4)}p${pad(i)}`);
    for (const n of names) fake.seed(n, "v");
    fake.seed("/elsewhere/p", "v");

    const pages = await allPages(client(), "/tree/", true);
    expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
    expect(pages.flat().sort()).toEqual([...names].sort());
  });

  it("MaxResults below 10 shrinks pages; the NextToken is opaque and only present while more remain", async () => {
    const ssm = client();
    for (let i = 0; i < 7; i++) fake.seed(`/small/p${i}`, "v");
    const first = await ssm.send(new GetParametersByPathCommand({ Path: "/small", MaxResults: 4 }));
    expect(first.Parameters).toHaveLength(4);
    expect(first.NextToken).toEqual(expect.any(String));
    expect(first.NextToken).not.toContain("/small");
    const second = await ssm.send(new GetParametersByPathCommand({ Path: "/small", MaxResults: 4, NextToken: first.NextToken }));
    expect(second.Parameters).toHaveLength(3);
    expect(second.NextToken).toBeUndefined();
  });

  it("MaxResults above 10 is a ValidationException", async () => {
    const err = await failure(client().send(new GetParametersByPathCommand({ Path: "/x", MaxResults: 11 })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toBe("1 validation error detected: Value '11' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 10");
  });

  it("a path must start with '/'", async () => {
    const err = await failure(client().send(new GetParametersByPathCommand({ Path: "relative/path" })));
    expect(err.name).toBe("ValidationException");
    expect(err.message).toMatch(/must begin with a forward slash/);
  });

  it("a NextToken the service did not mint is InvalidNextToken", async () => {
    const err = await failure(client().send(new GetParametersByPathCommand({ Path: "/x", NextToken: "garbage" })));
    expect(err.name).toBe("InvalidNextToken");
  });
});

describe("injected faults as the SDK surfaces them", () => {
  it("throttle: ThrottlingException 'Rate exceeded', HTTP 400, the modeled error class", async () => {
    fake.seed("/t", "v");
    fake.inject({ action: "GetParameter", kind: "throttle", times: 1 });
    const err = await failure(client().send(new GetParameterCommand({ Name: "/t" })));
    expect([err.name, err.message]).toEqual(["ThrottlingException", "Rate exceeded"]);
    expect(err).toBeInstanceOf(ThrottlingException);
    expect(err.$metadata?.httpStatusCode).toBe(400);
    expect(fake.calls).toEqual([{ action: "GetParameter", name: "/t", status: 400 }]);
  });

  it("throttle with the SDK's standard retries: one throttled attempt, then success", async () => {
    fake.seed("/t", "v");
    fake.inject({ kind: "throttle", times: 1 });
    const out = await client({ maxAttempts: 3 }).send(new GetParameterCommand({ Name: "/t" }));
    expect(out.Parameter?.Value).toBe("v");
    expect(out.$metadata.attempts).toBe(2);
    expect(fake.calls.map((c) => c.status)).toEqual([400, 200]);
  });

  it("5xx: InternalServerError, HTTP 500, a server fault", async () => {
    fake.inject({ action: "PutParameter", kind: "5xx" });
    const err = await failure(client().send(new PutParameterCommand({ Name: "/p", Value: "v", Type: "String" })));
    expect(err.name).toBe("InternalServerError");
    expect(err.$fault).toBe("server");
    expect(err.$metadata?.httpStatusCode).toBe(500);
    expect(fake.value("/p")).toBeUndefined();
  });

  it("5xx until cleared: the SDK gives up after maxAttempts, then works once faults are cleared", async () => {
    fake.seed("/p", "v");
    fake.inject({ kind: "5xx" });
    const ssm = client({ maxAttempts: 2 });
    const err = await failure(ssm.send(new GetParameterCommand({ Name: "/p" })));
    expect(err.name).toBe("InternalServerError");
    expect(err.$metadata?.attempts).toBe(2);
    fake.clearFaults();
    await expect(ssm.send(new GetParameterCommand({ Name: "/p" }))).resolves.toMatchObject({ Parameter: { Value: "v" } });
  });

  it("hang: the request is held without an answer until release(), then answered normally", async () => {
    fake.seed("/slow", "v");
    fake.inject({ action: "GetParameter", kind: "hang", times: 1 });
    const pending = client().send(new GetParameterCommand({ Name: "/slow" }));
    await held(1);
    expect(fake.calls).toEqual([{ action: "GetParameter", name: "/slow", status: 0 }]);
    fake.release();
    const out = await pending;
    expect(out.Parameter?.Value).toBe("v");
    expect(fake.held).toBe(0);
  });

  // The request handler the fault tests use: it times a request out the moment the fake holds it.
  it("a client timing out on a held request gets a TimeoutError; the fake sees the client hang up and still applies the write", async () => {
    fake.inject({ kind: "hang", times: 1 });
    const timingOut = timingOutSsmClient(fake);
    clients.push(timingOut);
    const err = await failure(timingOut.send(new PutParameterCommand({ Name: "/slow", Value: "v", Type: "String" })));
    expect(err.name).toBe("TimeoutError");
    expect((err as Error & { code?: string }).code).toBe("ETIMEDOUT");
    await fake.idle();
    expect(fake.calls).toEqual([{ action: "PutParameter", name: "/slow", status: 0 }]);
    expect(fake.value("/slow")).toBe("v");
  });

  it("requestTimeout alone only warns: the held answer still arrives", async () => {
    fake.seed("/slow", "v");
    fake.inject({ kind: "hang", times: 1 });
    const warnings: string[] = [];
    // The SDK's 1 ms requestTimeout is a global setTimeout: it passes on fake time.
    const time = FakeTime.install();
    try {
      const pending = tracked(client({ requestTimeout: 1, warn: (message) => warnings.push(message) }).send(new GetParameterCommand({ Name: "/slow" })));
      await time.settle(() => fake.held === 1);
      await time.advance(() => warnings.length > 0);
      fake.release();
      await time.settle(() => pending.settled());
      expect((await pending.promise).Parameter?.Value).toBe("v");
      expect(warnings).toEqual([expect.stringContaining("exceeded the configured 1 ms requestTimeout")]);
    } finally {
      time.restore();
    }
  });

  it("down: the socket is destroyed without an answer and the SDK sees a network error", async () => {
    fake.seed("/d", "v");
    fake.inject({ kind: "down", times: 1 });
    const ssm = client();
    const err = await failure(ssm.send(new GetParameterCommand({ Name: "/d" })));
    expect(err).not.toBeInstanceOf(SSMServiceException);
    expect((err as Error & { code?: string }).code).toBe("ECONNRESET");
    expect(err.message).toMatch(/socket hang up/);
    // The SDK renames ECONNRESET to TimeoutError so its retry strategy treats it as transient.
    expect(err.name).toBe("TimeoutError");
    await fake.idle(); // a destroyed socket still counts as settled
    expect(fake.calls).toEqual([{ action: "GetParameter", name: "/d", status: 0 }]);
    // the fault was used up: the next call goes through on a fresh connection
    await expect(ssm.send(new GetParameterCommand({ Name: "/d" }))).resolves.toMatchObject({ Parameter: { Value: "v" } });
  });

  it("down with the SDK's default retries: the dropped connection is retried and the call succeeds", async () => {
    fake.seed("/d", "v");
    fake.inject({ kind: "down", times: 1 });
    const out = await client({ maxAttempts: 3 }).send(new GetParameterCommand({ Name: "/d" }));
    expect(out.Parameter?.Value).toBe("v");
    expect(fake.calls.map((c) => c.status)).toEqual([0, 200]);
  });

  it("a fault scoped to one action leaves the others alone", async () => {
    fake.seed("/a", "v");
    fake.inject({ action: "PutParameter", kind: "throttle" });
    const ssm = client();
    await expect(ssm.send(new GetParameterCommand({ Name: "/a" }))).resolves.toBeDefined();
    expect((await failure(ssm.send(new PutParameterCommand({ Name: "/b", Value: "v", Type: "String" })))).name).toBe("ThrottlingException");
  });
});

describe("call counting", () => {
  it("every request is recorded with its action, name or path and status, including failures", async () => {
    const ssm = client();
    fake.seed("/c/one", "v");
    await ssm.send(new GetParameterCommand({ Name: "/c/one" }));
    await failure(ssm.send(new GetParameterCommand({ Name: "/c/missing" })));
    await ssm.send(new GetParametersByPathCommand({ Path: "/c" }));
    fake.inject({ kind: "throttle", times: 1 });
    await failure(ssm.send(new PutParameterCommand({ Name: "/c/two", Value: "v", Type: "String" })));

    expect(fake.calls).toEqual([
      { action: "GetParameter", name: "/c/one", status: 200 },
      { action: "GetParameter", name: "/c/missing", status: 400 },
      { action: "GetParametersByPath", path: "/c", status: 200 },
      { action: "PutParameter", name: "/c/two", status: 400 },
    ]);
    expect(fake.count()).toBe(4);
    expect(fake.count("GetParameter")).toBe(2);
    expect(fake.count("DeleteParameter")).toBe(0);
  });

  it("resetCalls empties the log; seed, value, names and delete do not count as calls", async () => {
    await client().send(new GetParametersCommand({ Names: ["/x"] }));
    fake.resetCalls();
    fake.seed("/d/a", "1");
    fake.seed("/d/b", "2");
    fake.seed("/e", "3");
    expect(fake.names("/d/")).toEqual(["/d/a", "/d/b"]);
    expect(fake.delete("/d/a")).toBe(true);
    expect(fake.names()).toEqual(["/d/b", "/e"]);
    expect(fake.count()).toBe(0);
  });

  it("idle() waits for requests in flight", async () => {
    fake.seed("/i", "v");
    fake.inject({ kind: "hang" });
    const pending = Promise.all([1, 2, 3].map(() => client().send(new GetParameterCommand({ Name: "/i" }))));
    await held(3);
    expect(fake.count()).toBe(3);
    expect(fake.calls.every((c) => c.status === 0)).toBe(true);
    let idle = false;
    const waited = fake.idle().then(() => {
      idle = true;
    });
    await setImmediate();
    expect(idle).toBe(false);
    fake.release();
    await waited;
    expect(fake.calls.map((c) => c.status)).toEqual([200, 200, 200]);
    await pending;
  });
});
