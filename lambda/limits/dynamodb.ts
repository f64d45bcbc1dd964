import type { AttributeValue, DynamoDBClient, QueryCommand, UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { COUNT, EXPIRES_AT, NAME, QUOTA, type Counter, type CounterStore, type CountRequest, type Deadline, type UsageRow, type UsageSource } from "./counters.js";
import { LimitsUnavailableError } from "./errors.js";

const isConditionFailure = (error: unknown): boolean => error instanceof Error && error.name === "ConditionalCheckFailedException";

const key = (counter: Counter): Record<string, AttributeValue> => ({ pk: { S: counter.pk }, sk: { S: counter.sk } });

/**
 * A client of the table and the SDK's command classes, from the SDK module imported when the table is
 * first used: a static import would load the SDK at every cold start, fleet limits on or off.
 */
export interface DynamoDbSdk {
  client: DynamoDBClient;
  UpdateItemCommand: typeof UpdateItemCommand;
  QueryCommand: typeof QueryCommand;
}

/**
 * The fleet's counters in a DynamoDB table (partition key `pk`, sort key `sk`, TTL attribute
 * `expiresAt`): one conditional UpdateItem per count (ADD with a ConditionExpression, the new count
 * returned), never a read. Every failure but a refused condition leaves as LimitsUnavailableError.
 */
export class DynamoDbCounters implements CounterStore, UsageSource {
  constructor(
    private readonly sdk: () => Promise<DynamoDbSdk>,
    private readonly table: string,
  ) {}

  async increment(request: CountRequest, deadline?: Deadline): Promise<number | undefined> {
    const names: Record<string, string> = { "#count": COUNT, "#expiresAt": EXPIRES_AT };
    const values: Record<string, AttributeValue> = { ":one": { N: "1" }, ":expiresAt": { N: String(request.expiresAtSeconds) } };
    const set = ["#expiresAt = if_not_exists(#expiresAt, :expiresAt)"];
    const remove: string[] = [];
    for (const [name, value] of Object.entries(request.attributes ?? {})) {
      names[`#${name}`] = name;
      if (value === null) {
        remove.push(`#${name}`);
        continue;
      }
      values[`:${name}`] = typeof value === "number" ? { N: String(value) } : { S: value };
      set.push(`#${name} = :${name}`);
    }
    let condition: string | undefined;
    if (request.cap !== undefined) {
      values[":cap"] = { N: String(request.cap) };
      condition = "attribute_not_exists(#count) OR #count < :cap";
    }
    const update = `ADD #count :one SET ${set.join(", ")}${remove.length > 0 ? ` REMOVE ${remove.join(", ")}` : ""}`;
    try {
      const { client, UpdateItemCommand } = await this.sdk();
      const out = await client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(request.counter),
          UpdateExpression: update,
          ...(condition === undefined ? {} : { ConditionExpression: condition }),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "UPDATED_NEW",
        }),
        { abortSignal: deadline?.() },
      );
      const count = Number(out.Attributes?.[COUNT]?.N);
      if (!Number.isSafeInteger(count)) throw new Error("UpdateItem returned no count");
      return count;
    } catch (error) {
      if (isConditionFailure(error)) return undefined;
      throw new LimitsUnavailableError("count a request", { cause: error });
    }
  }

  async decrement(counter: Counter, deadline?: Deadline): Promise<void> {
    try {
      const { client, UpdateItemCommand } = await this.sdk();
      await client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key(counter),
          UpdateExpression: "ADD #count :minusOne",
          ConditionExpression: "attribute_exists(#count)",
          ExpressionAttributeNames: { "#count": COUNT },
          ExpressionAttributeValues: { ":minusOne": { N: "-1" } },
        }),
        { abortSignal: deadline?.() },
      );
    } catch (error) {
      if (isConditionFailure(error)) return;
      throw new LimitsUnavailableError("give back a count", { cause: error });
    }
  }

  /** Every principal's mints on `day`: one Query of the day's partition, page by page. */
  async day(day: string): Promise<UsageRow[]> {
    const rows: UsageRow[] = [];
    let start: Record<string, AttributeValue> | undefined;
    try {
      const { client, QueryCommand } = await this.sdk();
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: "#pk = :pk",
            ExpressionAttributeNames: { "#pk": "pk" },
            ExpressionAttributeValues: { ":pk": { S: `day#${day}` } },
            ExclusiveStartKey: start,
          }),
        );
        for (const item of out.Items ?? []) rows.push(usageRow(item));
        start = out.LastEvaluatedKey;
      } while (start !== undefined);
    } catch (error) {
      throw new LimitsUnavailableError(`read the usage of ${day}`, { cause: error });
    }
    return rows;
  }
}

function usageRow(item: Record<string, AttributeValue>): UsageRow {
  const quota = item[QUOTA]?.N;
  return { principal: item["sk"]?.S ?? "", name: item[NAME]?.S ?? "", mints: Number(item[COUNT]?.N ?? 0), quota: quota === undefined ? null : Number(quota) };
}
