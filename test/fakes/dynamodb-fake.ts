// A wire-level fake of the DynamoDB operations mantle-vend uses (UpdateItem, Query), so the real
// @aws-sdk/client-dynamodb talks to it over HTTP (AWS JSON 1.0, `x-amz-target: DynamoDB_20120810.*`)
// and tests exercise the SDK's own serialisation, error parsing and retries. It evaluates the update,
// condition and key-condition expressions the service writes — ExpressionAttributeNames and Values,
// SET (with if_not_exists and + / -), ADD, REMOVE, comparisons, attribute_exists /
// attribute_not_exists, AND / OR / NOT, parentheses — refuses what DynamoDB refuses (unused or
// undefined placeholders, reserved words, a key that does not match the schema, updating a key
// attribute, ADD to a non-number) with AWS's error shapes, counts calls and injects faults.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Faults, Holds, readBody, type FaultSpec as WireFaultSpec } from "./wire.js";

// ---------------------------------------------------------------- types

/** One attribute value in DynamoDB's JSON: `{"S": "x"}`, `{"N": "1"}`, … */
type AttributeValue = Record<string, unknown>;
export type Item = Record<string, AttributeValue>;

export type FaultKind = "throttle" | "5xx" | "down" | "hang" | "pass";

export type FaultSpec = WireFaultSpec<FaultKind>;

/** One request as received; status 0 = not answered (held, or "down"). */
export interface Call {
  action: string;
  table?: string;
  status: number;
}

interface Table {
  partitionKey: string;
  sortKey?: string;
  items: Map<string, Item>;
}

type JsonObject = Record<string, unknown>;

class DynamoError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const validation = (message: string): DynamoError => new DynamoError(400, "ValidationException", message);

// DynamoDB's reserved words that an expression might plausibly use bare (the full list has 573).
const RESERVED = new Set(
  "ABORT ACTION ADD ALL AND ANY AS ASC BETWEEN BY CASE COUNT DATA DATE DAY DELETE DESC END EXISTS FROM IN INDEX KEY KEYS LIMIT MINUTE MONTH NAME NOT NULL NUMBER OR ORDER QUOTA REMOVE SET SIZE STATUS TABLE TIME TIMESTAMP TTL TYPE USER VALUE VALUES WHERE YEAR".split(" "),
);

// ---------------------------------------------------------------- expressions

type Token =
  | { kind: "name"; text: string }
  | { kind: "value"; text: string }
  | { kind: "word"; text: string }
  | { kind: "op"; text: string };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(#[A-Za-z0-9_]+)|(:[A-Za-z0-9_]+)|([A-Za-z_][A-Za-z0-9_]*)|(<>|<=|>=|[=<>(),+\-]))/y;
  let at = 0;
  while (at < expression.length) {
    if (/^\s*$/.test(expression.slice(at))) break;
    pattern.lastIndex = at;
    const match = pattern.exec(expression);
    if (match === null) throw validation(`Invalid expression: Syntax error; token: "${expression.slice(at).trim().slice(0, 10)}", near: "${expression.slice(Math.max(0, at - 5), at + 5)}"`);
    at = pattern.lastIndex;
    if (match[1] !== undefined) tokens.push({ kind: "name", text: match[1] });
    else if (match[2] !== undefined) tokens.push({ kind: "value", text: match[2] });
    else if (match[3] !== undefined) tokens.push({ kind: "word", text: match[3] });
    else tokens.push({ kind: "op", text: match[4] as string });
  }
  return tokens;
}

/** What an expression refers to, checked against the request's placeholders. */
interface Scope {
  names: Record<string, string>;
  values: Record<string, AttributeValue>;
  usedNames: Set<string>;
  usedValues: Set<string>;
}

class Parser {
  private at = 0;

  constructor(
    private readonly tokens: Token[],
    private readonly scope: Scope,
    private readonly what: string,
  ) {}

  done(): boolean {
    return this.at >= this.tokens.length;
  }

  peek(): Token | undefined {
    return this.tokens[this.at];
  }

  next(): Token {
    const token = this.tokens[this.at];
    if (token === undefined) throw validation(`Invalid ${this.what}: Syntax error; token: "<EOF>", near: ""`);
    this.at += 1;
    return token;
  }

  isWord(text: string): boolean {
    const token = this.peek();
    return token?.kind === "word" && token.text.toUpperCase() === text.toUpperCase();
  }

  isOp(text: string): boolean {
    const token = this.peek();
    return token?.kind === "op" && token.text === text;
  }

  expectOp(text: string): void {
    const token = this.next();
    if (token.kind !== "op" || token.text !== text) throw validation(`Invalid ${this.what}: Syntax error; token: "${token.text}", near: ""`);
  }

  /** An attribute name: `#placeholder` or a bare name that is not reserved. */
  path(): string {
    const token = this.next();
    if (token.kind === "name") {
      const name = this.scope.names[token.text];
      if (name === undefined) throw validation(`Invalid ${this.what}: An expression attribute name used in the document path is not defined; attribute name: ${token.text}`);
      this.scope.usedNames.add(token.text);
      return name;
    }
    if (token.kind === "word") {
      if (RESERVED.has(token.text.toUpperCase())) throw validation(`Invalid ${this.what}: Attribute name is a reserved keyword; reserved keyword: ${token.text}`);
      return token.text;
    }
    throw validation(`Invalid ${this.what}: Syntax error; token: "${token.text}", near: ""`);
  }

  value(): AttributeValue {
    const token = this.next();
    if (token.kind !== "value") throw validation(`Invalid ${this.what}: Syntax error; token: "${token.text}", near: ""`);
    const value = this.scope.values[token.text];
    if (value === undefined) throw validation(`Invalid ${this.what}: An expression attribute value used in expression is not defined; attribute value: ${token.text}`);
    this.scope.usedValues.add(token.text);
    return value;
  }
}

type Operand = (item: Item) => AttributeValue | undefined;

function operand(parser: Parser): Operand {
  const token = parser.peek();
  if (token?.kind === "value") {
    const value = parser.value();
    return () => value;
  }
  const path = parser.path();
  return (item) => item[path];
}

const typeOf = (value: AttributeValue): string => Object.keys(value)[0] ?? "";

function compare(a: AttributeValue | undefined, b: AttributeValue | undefined): number | undefined {
  if (a === undefined || b === undefined || typeOf(a) !== typeOf(b)) return undefined;
  if (typeOf(a) === "N") return Number(a.N) - Number(b.N);
  if (typeOf(a) === "S") return String(a.S) < String(b.S) ? -1 : String(a.S) > String(b.S) ? 1 : 0;
  return JSON.stringify(a) === JSON.stringify(b) ? 0 : undefined;
}

type Condition = (item: Item) => boolean;

function condition(parser: Parser): Condition {
  const left = conjunction(parser);
  if (!parser.isWord("OR")) return left;
  parser.next();
  const right = condition(parser);
  return (item) => left(item) || right(item);
}

function conjunction(parser: Parser): Condition {
  const left = negation(parser);
  if (!parser.isWord("AND")) return left;
  parser.next();
  const right = conjunction(parser);
  return (item) => left(item) && right(item);
}

function negation(parser: Parser): Condition {
  if (parser.isWord("NOT")) {
    parser.next();
    const inner = negation(parser);
    return (item) => !inner(item);
  }
  if (parser.isOp("(")) {
    parser.next();
    const inner = condition(parser);
    parser.expectOp(")");
    return inner;
  }
  if (parser.isWord("attribute_exists") || parser.isWord("attribute_not_exists")) {
    const exists = parser.next().text === "attribute_exists";
    parser.expectOp("(");
    const path = parser.path();
    parser.expectOp(")");
    return (item) => (item[path] !== undefined) === exists;
  }
  const left = operand(parser);
  const comparator = parser.next();
  if (comparator.kind !== "op" || !["=", "<>", "<", "<=", ">", ">="].includes(comparator.text)) {
    throw validation(`Invalid ConditionExpression: Syntax error; token: "${comparator.text}", near: ""`);
  }
  const right = operand(parser);
  return (item) => {
    const order = compare(left(item), right(item));
    if (order === undefined) return comparator.text === "<>" && left(item) !== undefined && right(item) !== undefined;
    switch (comparator.text) {
      case "=":
        return order === 0;
      case "<>":
        return order !== 0;
      case "<":
        return order < 0;
      case "<=":
        return order <= 0;
      case ">":
        return order > 0;
      default:
        return order >= 0;
    }
  };
}

function number(value: AttributeValue | undefined): number {
  if (value === undefined || typeOf(value) !== "N") throw validation("An operand in the update expression has an incorrect data type");
  return Number(value.N);
}

const numberValue = (n: number): AttributeValue => ({ N: String(n) });

/** A SET action's right-hand side: an operand, if_not_exists(path, value), and one + or -. */
function setValue(parser: Parser): Operand {
  const single = (): Operand => {
    if (parser.isWord("if_not_exists")) {
      parser.next();
      parser.expectOp("(");
      const path = parser.path();
      parser.expectOp(",");
      const fallback = setValue(parser);
      parser.expectOp(")");
      return (item) => item[path] ?? fallback(item);
    }
    return operand(parser);
  };
  const left = single();
  if (!parser.isOp("+") && !parser.isOp("-")) return left;
  const sign = parser.next().text === "+" ? 1 : -1;
  const right = single();
  return (item) => numberValue(number(left(item)) + sign * number(right(item)));
}

type Action = { path: string; apply: (item: Item, before: Item) => void };

function updateActions(parser: Parser): Action[] {
  const actions: Action[] = [];
  const seen = new Set<string>();
  while (!parser.done()) {
    const clause = parser.next();
    const keyword = clause.kind === "word" ? clause.text.toUpperCase() : "";
    if (!["SET", "ADD", "REMOVE"].includes(keyword) || seen.has(keyword)) {
      throw validation(`Invalid UpdateExpression: Syntax error; token: "${clause.text}", near: ""`);
    }
    seen.add(keyword);
    do {
      const path = parser.path();
      if (keyword === "SET") {
        parser.expectOp("=");
        const value = setValue(parser);
        actions.push({
          path,
          apply: (item, before) => {
            const computed = value(before);
            if (computed === undefined) throw validation("The provided expression refers to an attribute that does not exist in the item");
            item[path] = computed;
          },
        });
      } else if (keyword === "ADD") {
        const value = parser.value();
        const amount = number(value);
        actions.push({ path, apply: (item) => void (item[path] = numberValue((item[path] === undefined ? 0 : number(item[path])) + amount)) });
      } else {
        actions.push({ path, apply: (item) => void delete item[path] });
      }
    } while (parser.isOp(",") && parser.next());
  }
  const paths = actions.map((action) => action.path);
  const twice = paths.find((path, i) => paths.indexOf(path) !== i);
  if (twice !== undefined) throw validation(`Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [${twice}], path two: [${twice}]`);
  return actions;
}

function parseWhole<T>(expression: string, scope: Scope, what: string, rule: (parser: Parser) => T): T {
  const parser = new Parser(tokenize(expression), scope, what);
  const result = rule(parser);
  if (!parser.done()) throw validation(`Invalid ${what}: Syntax error; token: "${parser.peek()?.text ?? ""}", near: ""`);
  return result;
}

function scopeOf(input: JsonObject): Scope {
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, AttributeValue>;
  if (Object.keys(names).length === 0 && input.ExpressionAttributeNames !== undefined) throw validation("ExpressionAttributeNames must not be empty");
  if (Object.keys(values).length === 0 && input.ExpressionAttributeValues !== undefined) throw validation("ExpressionAttributeValues must not be empty");
  return { names, values, usedNames: new Set(), usedValues: new Set() };
}

function checkAllUsed(scope: Scope): void {
  const unusedNames = Object.keys(scope.names).filter((name) => !scope.usedNames.has(name));
  if (unusedNames.length > 0) throw validation(`Value provided in ExpressionAttributeNames unused in expressions: keys: {${unusedNames.join(", ")}}`);
  const unusedValues = Object.keys(scope.values).filter((value) => !scope.usedValues.has(value));
  if (unusedValues.length > 0) throw validation(`Value provided in ExpressionAttributeValues unused in expressions: keys: {${unusedValues.join(", ")}}`);
}

// ---------------------------------------------------------------- actions

const keyString = (table: Table, item: Item): string => JSON.stringify([item[table.partitionKey], table.sortKey === undefined ? null : item[table.sortKey]]);

function checkKey(table: Table, key: unknown): Item {
  const wanted = [table.partitionKey, ...(table.sortKey === undefined ? [] : [table.sortKey])];
  if (typeof key !== "object" || key === null) throw validation("The provided key element does not match the schema");
  const names = Object.keys(key);
  if (names.length !== wanted.length || !wanted.every((name) => names.includes(name))) throw validation("The provided key element does not match the schema");
  return key as Item;
}

const RETURN_VALUES = ["NONE", "ALL_OLD", "UPDATED_OLD", "ALL_NEW", "UPDATED_NEW"];

function updateItem(input: JsonObject, table: Table): JsonObject {
  const key = checkKey(table, input.Key);
  const scope = scopeOf(input);
  const update = typeof input.UpdateExpression === "string" ? input.UpdateExpression : undefined;
  if (update === undefined) throw validation("1 validation error detected: Value null at 'updateExpression' failed to satisfy constraint: Member must not be null");
  const actions = parseWhole(update, scope, "UpdateExpression", updateActions);
  const check = typeof input.ConditionExpression === "string" ? parseWhole(input.ConditionExpression, scope, "ConditionExpression", condition) : undefined;
  checkAllUsed(scope);
  const returnValues = typeof input.ReturnValues === "string" ? input.ReturnValues : "NONE";
  if (!RETURN_VALUES.includes(returnValues)) throw validation(`1 validation error detected: Value '${returnValues}' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [${RETURN_VALUES.join(", ")}]`);
  const keyAttribute = actions.find((action) => action.path === table.partitionKey || action.path === table.sortKey);
  if (keyAttribute !== undefined) throw validation(`One or more parameter values were invalid: Cannot update attribute ${keyAttribute.path}. This attribute is part of the key`);

  const id = keyString(table, key);
  const before = table.items.get(id);
  const current: Item = before ?? {};
  if (check !== undefined && !check(current)) throw new DynamoError(400, "ConditionalCheckFailedException", "The conditional request failed");
  const after: Item = { ...current, ...key };
  for (const action of actions) action.apply(after, current);
  table.items.set(id, after);
  const updated = new Set(actions.map((action) => action.path));
  const pick = (item: Item, only?: Set<string>): Item => Object.fromEntries(Object.entries(item).filter(([name]) => only === undefined || only.has(name)));
  switch (returnValues) {
    case "ALL_NEW":
      return { Attributes: after };
    case "UPDATED_NEW":
      return { Attributes: pick(after, updated) };
    case "ALL_OLD":
      return before === undefined ? {} : { Attributes: before };
    case "UPDATED_OLD":
      return before === undefined ? {} : { Attributes: pick(before, updated) };
    default:
      return {};
  }
}

function query(input: JsonObject, table: Table): JsonObject {
  const scope = scopeOf(input);
  const expression = typeof input.KeyConditionExpression === "string" ? input.KeyConditionExpression : undefined;
  if (expression === undefined) throw validation("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.");
  const matches = parseWhole(expression, scope, "KeyConditionExpression", condition);
  checkAllUsed(scope);
  const partitionNamed = Object.values(scope.names).includes(table.partitionKey) || expression.includes(table.partitionKey);
  if (!partitionNamed) throw validation(`Query condition missed key schema element: ${table.partitionKey}`);
  const limit = typeof input.Limit === "number" ? input.Limit : Number.POSITIVE_INFINITY;
  const sortKey = table.sortKey;
  let items = [...table.items.values()].filter(matches).sort((a, b) => (sortKey === undefined ? 0 : (compare(a[sortKey], b[sortKey]) ?? 0)));
  if (input.ExclusiveStartKey !== undefined) {
    const start = keyString(table, checkKey(table, input.ExclusiveStartKey));
    const index = items.findIndex((item) => keyString(table, item) === start);
    items = items.slice(index + 1);
  }
  const page = items.slice(0, limit);
  const last = page[page.length - 1];
  const more = items.length > page.length && last !== undefined;
  const lastKey = (item: Item): Item => Object.fromEntries([table.partitionKey, ...(sortKey === undefined ? [] : [sortKey])].map((name) => [name, item[name] as AttributeValue]));
  return { Items: page, Count: page.length, ScannedCount: page.length, ...(more ? { LastEvaluatedKey: lastKey(last) } : {}) };
}

const ACTIONS: Readonly<Record<string, (input: JsonObject, table: Table) => JsonObject>> = { UpdateItem: updateItem, Query: query };

// ---------------------------------------------------------------- HTTP plumbing

function reply(res: ServerResponse, status: number, body: JsonObject): void {
  if (res.destroyed || res.writableEnded) return;
  // No Date header: clients here run on fake time, and the SDK would "correct" a skew against the
  // real clock by retrying errors (ConditionalCheckFailedException included) after a pause.
  res.sendDate = false;
  const payload = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "content-length": Buffer.byteLength(payload), "x-amzn-requestid": randomUUID() });
  res.end(payload);
}

// ---------------------------------------------------------------- the fake

export class DynamoDbFake {
  readonly url: string;
  private readonly tables = new Map<string, Table>();
  private readonly log: Call[] = [];
  private readonly faults = new Faults<FaultKind>();
  private readonly holds = new Holds();

  private constructor(private readonly server: Server) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  static async start(): Promise<DynamoDbFake> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const fake = new DynamoDbFake(server);
    server.on("request", (req: IncomingMessage, res: ServerResponse) => void fake.serve(req, res));
    return fake;
  }

  async close(): Promise<void> {
    this.release();
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  createTable(name: string, keys: { partitionKey: string; sortKey?: string } = { partitionKey: "pk", sortKey: "sk" }): void {
    this.tables.set(name, { ...keys, items: new Map() });
  }

  /** Every item of a table (a copy), in no particular order. */
  items(table: string): Item[] {
    return [...(this.tables.get(table)?.items.values() ?? [])].map((item) => structuredClone(item));
  }

  /** Puts an item as is (tests may need states the API would refuse). */
  seed(table: string, item: Item): void {
    const found = this.tables.get(table);
    if (found === undefined) throw new Error(`no table ${table}`);
    found.items.set(keyString(found, item), structuredClone(item));
  }

  get calls(): ReadonlyArray<Readonly<Call>> {
    return this.log;
  }

  count(action?: string): number {
    return action === undefined ? this.log.length : this.log.filter((call) => call.action === action).length;
  }

  resetCalls(): void {
    this.log.length = 0;
  }

  inject(spec: FaultSpec): void {
    this.faults.inject(spec);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** How many requests a "hang" fault holds now. */
  get held(): number {
    return this.holds.size;
  }

  /** Lets every held request answer normally. */
  release(): void {
    this.holds.release();
  }

  /** Told of each request a "hang" fault holds, with the SDK's invocation id. */
  onHold(listener: (invocationId: string) => void): () => void {
    return this.holds.onHold(listener);
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const target = req.headers["x-amz-target"];
    const action = typeof target === "string" && target.startsWith("DynamoDB_20120810.") ? target.slice("DynamoDB_20120810.".length) : "";
    const body = await readBody(req).catch(() => "");
    let input: JsonObject | undefined;
    try {
      const parsed: unknown = body.trim() === "" ? {} : JSON.parse(body);
      input = typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as JsonObject) : undefined;
    } catch {
      input = undefined;
    }
    const call: Call = { action, status: 0, ...(typeof input?.TableName === "string" ? { table: input.TableName } : {}) };
    this.log.push(call);
    const answer = (status: number, payload: JsonObject): void => {
      if (res.destroyed) return;
      call.status = status;
      reply(res, status, payload);
    };
    const fail = (error: DynamoError): void => answer(error.status, { __type: `com.amazonaws.dynamodb.v20120810#${error.code}`, message: error.message });

    const fault = this.faults.take(action);
    if (fault === "down") {
      req.socket.destroy();
      return;
    }
    if (fault === "throttle") {
      return fail(new DynamoError(400, "ProvisionedThroughputExceededException", "The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."));
    }
    if (fault === "5xx") return fail(new DynamoError(500, "InternalServerError", "Internal server error"));
    if (fault === "hang") await this.holds.hold(req, res);

    if (req.headers.authorization === undefined) return fail(new DynamoError(400, "MissingAuthenticationTokenException", "Request is missing Authentication Token"));
    const handler = ACTIONS[action];
    if (req.method !== "POST" || handler === undefined) return fail(new DynamoError(400, "UnknownOperationException", `Unknown operation ${action || String(target)}`));
    if (input === undefined) return fail(new DynamoError(400, "SerializationException", "Start of structure or map found where not expected"));
    const table = typeof input.TableName === "string" ? this.tables.get(input.TableName) : undefined;
    if (table === undefined) return fail(new DynamoError(400, "ResourceNotFoundException", "Requested resource not found"));
    try {
      answer(200, handler(input, table));
    } catch (error) {
      if (error instanceof DynamoError) return fail(error);
      fail(new DynamoError(500, "InternalServerError", error instanceof Error ? error.message : String(error)));
    }
  }
}
