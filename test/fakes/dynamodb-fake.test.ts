/**
 * The DynamoDB fake against the real @aws-sdk/client-dynamodb: the SDK's own serialisation and error
 * parsing meet what the fake answers, so the limits' tests prove the service against DynamoDB's
 * behaviour, not against a mock's idea of it.
 */
import { DynamoDBClient, QueryCommand, UpdateItemCommand, type UpdateItemCommandInput } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeTime, tracked, turnsUntil } from "../support/fake-time.js";
import { DynamoDbFake } from "./dynamodb-fake.js";

const TABLE = "limits";
let fake: DynamoDbFake;
let client: DynamoDBClient;

beforeAll(async () => {
  fake = await DynamoDbFake.start();
  client = new DynamoDBClient({ endpoint: fake.url, region: "us-east-1", credentials: { accessKeyId: "AKIDDDBFAKE", secretAccessKey: "ddb-fake-secret" }, maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await fake.close();
});

beforeEach(() => {
  fake.clearFaults();
  fake.createTable(TABLE);
  fake.resetCalls();
});

const key = (pk: string, sk: string) => ({ pk: { S: pk }, sk: { S: sk } });

/** The increment the fleet limits write: ADD one unless the count reached the cap. */
const capped = (cap: number, extra: Partial<UpdateItemCommandInput> = {}): UpdateItemCommand =>
  new UpdateItemCommand({
    TableName: TABLE,
    Key: key("rate#key:a", "100"),
    UpdateExpression: "ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)",
    ConditionExpression: "attribute_not_exists(#count) OR #count < :cap",
    ExpressionAttributeNames: { "#count": "count", "#expiresAt": "expiresAt" },
    ExpressionAttributeValues: { ":one": { N: "1" }, ":cap": { N: String(cap) }, ":expiresAt": { N: "160" } },
    ReturnValues: "UPDATED_NEW",
    ...extra,
  });

async function rejection(command: UpdateItemCommand | QueryCommand): Promise<{ name: string; message: string; status?: number }> {
  try {
    await client.send(command as UpdateItemCommand);
  } catch (error) {
    const e = error as Error & { $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error("the command succeeded");
}

describe("UpdateItem: ADD, SET with if_not_exists, REMOVE, a condition and the values it returns", () => {
  it("counts up to the cap, then refuses with ConditionalCheckFailedException and changes nothing", async () => {
    const counts = [];
    for (let i = 0; i < 3; i += 1) counts.push((await client.send(capped(3))).Attributes);
    expect(counts).toEqual([1, 2, 3].map((n) => ({ count: { N: String(n) }, expiresAt: { N: "160" } })));
    expect(await rejection(capped(3))).toEqual({ name: "ConditionalCheckFailedException", message: "The conditional request failed", status: 400 });
    expect(fake.items(TABLE)).toEqual([{ ...key("rate#key:a", "100"), count: { N: "3" }, expiresAt: { N: "160" } }]);
  });

  it("keeps the first expiresAt (if_not_exists), sets and removes other attributes, and returns what was asked", async () => {
    const set = (expiresAt: string, quota: string | null) =>
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key("day#2026-11-25", "key:a"),
        UpdateExpression: `ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt), #name = :name${quota === null ? " REMOVE #quota" : ", #quota = :quota"}`,
        ExpressionAttributeNames: { "#count": "count", "#expiresAt": "expiresAt", "#name": "name", "#quota": "quota" },
        ExpressionAttributeValues: { ":one": { N: "1" }, ":expiresAt": { N: expiresAt }, ":name": { S: "team" }, ...(quota === null ? {} : { ":quota": { N: quota } }) },
        ReturnValues: "ALL_NEW",
      });
    await client.send(set("100", "7"));
    const second = await client.send(set("200", null));
    expect(second.Attributes).toEqual({ ...key("day#2026-11-25", "key:a"), count: { N: "2" }, expiresAt: { N: "100" }, name: { S: "team" } });
  });

  it("adds a negative number and evaluates comparisons, AND, OR, NOT and parentheses", async () => {
    await client.send(capped(5));
    await client.send(capped(5));
    const down = await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: key("rate#key:a", "100"),
        UpdateExpression: "ADD #count :minusOne",
        ConditionExpression: "attribute_exists(#count) AND NOT (#count <= :zero OR #count > :ten)",
        ExpressionAttributeNames: { "#count": "count" },
        ExpressionAttributeValues: { ":minusOne": { N: "-1" }, ":zero": { N: "0" }, ":ten": { N: "10" } },
        ReturnValues: "UPDATED_OLD",
      }),
    );
    expect(down.Attributes).toEqual({ count: { N: "2" } });
    expect(fake.items(TABLE)[0]?.count).toEqual({ N: "1" });
  });

  it.each<[string, Partial<UpdateItemCommandInput>, string]>([
    ["an unused name", { ExpressionAttributeNames: { "#count": "count", "#expiresAt": "expiresAt", "#x": "x" } }, "Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"],
    ["an unused value", { ExpressionAttributeValues: { ":one": { N: "1" }, ":cap": { N: "2" }, ":expiresAt": { N: "1" }, ":x": { N: "1" } } }, "Value provided in ExpressionAttributeValues unused in expressions: keys: {:x}"],
    ["an undefined value", { ConditionExpression: "attribute_not_exists(#count) OR #count < :cab" }, "An expression attribute value used in expression is not defined; attribute value: :cab"],
    ["a reserved word", { UpdateExpression: "ADD count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt)", ConditionExpression: "attribute_not_exists(#count) OR #count < :cap" }, "Attribute name is a reserved keyword; reserved keyword: count"],
    ["a key that does not match the schema", { Key: { pk: { S: "x" } } }, "The provided key element does not match the schema"],
    ["an update of a key attribute", { UpdateExpression: "ADD #count :one SET #expiresAt = if_not_exists(#expiresAt, :expiresAt), pk = :expiresAt" }, "Cannot update attribute pk. This attribute is part of the key"],
    ["ADD of a string", { ExpressionAttributeValues: { ":one": { S: "1" }, ":cap": { N: "2" }, ":expiresAt": { N: "1" } } }, "An operand in the update expression has an incorrect data type"],
    ["a syntax error", { UpdateExpression: "ADD #count :one SET" }, "Syntax error"],
  ])("refuses %s with a ValidationException", async (_what, change, message) => {
    const refused = await rejection(capped(2, change));
    expect(refused.name).toBe("ValidationException");
    expect(refused.message).toContain(message);
    expect(fake.items(TABLE)).toEqual([]);
  });

  it("answers ResourceNotFoundException for a table that does not exist", async () => {
    expect((await rejection(capped(2, { TableName: "nope" }))).name).toBe("ResourceNotFoundException");
  });
});

describe("Query: one partition, in sort-key order, page by page", () => {
  it("returns a partition's items and a LastEvaluatedKey that continues where the page ended", async () => {
    for (const principal of ["key:c", "key:a", "key:b"]) fake.seed(TABLE, { ...key("day#2026-11-25", principal), count: { N: "1" } });
    fake.seed(TABLE, { ...key("day#2026-11-24", "key:z"), count: { N: "9" } });
    const page = (start?: Record<string, { S: string }>) =>
      client.send(
        new QueryCommand({
          TableName: TABLE,
          KeyConditionExpression: "#pk = :pk",
          ExpressionAttributeNames: { "#pk": "pk" },
          ExpressionAttributeValues: { ":pk": { S: "day#2026-11-25" } },
          Limit: 2,
          ExclusiveStartKey: start,
        }),
      );
    const first = await page();
    expect(first.Items?.map((item) => item.sk?.S)).toEqual(["key:a", "key:b"]);
    const second = await page(first.LastEvaluatedKey as Record<string, { S: string }>);
    expect(second.Items?.map((item) => item.sk?.S)).toEqual(["key:c"]);
    expect(second.LastEvaluatedKey).toBeUndefined();
  });
});

describe("faults: throttling and 5xx in AWS's shapes, a dropped connection, a held request; every call counted", () => {
  it("throttles with ProvisionedThroughputExceededException, which the SDK retries", async () => {
    const retrying = new DynamoDBClient({ endpoint: fake.url, region: "us-east-1", credentials: { accessKeyId: "a", secretAccessKey: "b" }, maxAttempts: 2 });
    fake.inject({ kind: "throttle", action: "UpdateItem", times: 1 });
    // The SDK's pause before the retry runs on fake time.
    const time = FakeTime.install();
    try {
      const pending = tracked(retrying.send(capped(3)));
      await time.settle(() => fake.count() === 1 && fake.calls[0]?.status !== 0);
      await time.advance(() => pending.settled());
      expect((await pending.promise).Attributes?.count).toEqual({ N: "1" });
    } finally {
      time.restore();
      retrying.destroy();
    }
    expect(fake.calls.map((call) => [call.action, call.status])).toEqual([
      ["UpdateItem", 400],
      ["UpdateItem", 200],
    ]);
  });

  it("fails with InternalServerError (500) and on a dropped connection", async () => {
    fake.inject({ kind: "5xx", times: 1 });
    expect(await rejection(capped(3))).toMatchObject({ name: "InternalServerError", status: 500 });
    fake.inject({ kind: "down", times: 1 });
    expect((await rejection(capped(3))).name).not.toBe("ConditionalCheckFailedException");
    expect(fake.count("UpdateItem")).toBe(2);
    expect(fake.items(TABLE)).toEqual([]);
  });

  it("holds a request until released, then carries it out", async () => {
    fake.inject({ kind: "hang", times: 1 });
    const pending = client.send(capped(3));
    await turnsUntil(() => fake.held > 0);
    expect(fake.items(TABLE)).toEqual([]);
    fake.release();
    expect((await pending).Attributes?.count).toEqual({ N: "1" });
  });
});
