/**
 * The construct's governance resources (SPEC §14): the limits table and the API role's one right on
 * it, the table's name in Parameter Store, the dashboard, and the saved Logs Insights queries.
 */
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { propsFromContext } from "../../infra/context.js";
import { MantleVendStack, type MantleVendStackProps } from "../../infra/index.js";
import { MANTLE_REGIONS } from "../../lambda/regions.js";

type Resource = { Type: string; Properties?: Record<string, unknown> };

function synth(props: MantleVendStackProps = {}): { stack: MantleVendStack; template: Template; resources: Record<string, Resource> } {
  // The checks here read the template only: bundling is skipped.
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new MantleVendStack(app, "MantleVendStack", props);
  const template = Template.fromStack(stack);
  return { stack, template, resources: template.toJSON().Resources as Record<string, Resource> };
}

const ofType = (resources: Record<string, Resource>, type: string): Array<[string, Resource]> => Object.entries(resources).filter(([, r]) => r.Type === type);

/** Every IAM statement in the template, with the role(s) it is attached to. */
function statements(resources: Record<string, Resource>): Array<{ actions: string[]; resources: unknown[]; owner: string }> {
  const out: Array<{ actions: string[]; resources: unknown[]; owner: string }> = [];
  for (const [id, resource] of Object.entries(resources)) {
    const documents =
      resource.Type === "AWS::IAM::Role"
        ? ((resource.Properties?.Policies as Array<{ PolicyDocument: { Statement: unknown[] } }> | undefined) ?? []).map((p) => p.PolicyDocument)
        : resource.Type === "AWS::IAM::Policy"
          ? [resource.Properties?.PolicyDocument as { Statement: unknown[] }]
          : [];
    for (const document of documents) {
      for (const raw of document.Statement) {
        const statement = raw as { Action: string | string[]; Resource: unknown };
        out.push({ actions: [statement.Action].flat(), resources: [statement.Resource].flat(), owner: id });
      }
    }
  }
  return out;
}

let defaults: ReturnType<typeof synth>;
let off: ReturnType<typeof synth>;

beforeAll(() => {
  defaults = synth();
  off = synth(propsFromContext({ fleetLimits: "false" }));
});

describe("fleetLimits (default on) creates the limits table: on-demand, TTL on expiresAt, AWS-owned encryption", () => {
  it("creates one table keyed pk/sk, pay per request, with DynamoDB's TTL and no customer key", () => {
    const tables = ofType(defaults.resources, "AWS::DynamoDB::Table");
    expect(tables).toHaveLength(1);
    const [, table] = tables[0] as [string, Resource];
    expect(table.Properties).toMatchObject({
      BillingMode: "PAY_PER_REQUEST",
      KeySchema: [
        { AttributeName: "pk", KeyType: "HASH" },
        { AttributeName: "sk", KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
    // SSEEnabled false is DynamoDB's encryption with the AWS-owned key (tables are always encrypted); no KMS key.
    expect(table.Properties?.SSESpecification).toEqual({ SSEEnabled: false });
  });

  it("writes the table's name to <prefix>/limits-table (a String parameter) for the admin CLI", () => {
    const parameter = ofType(synth({ parameterPrefix: "/team/vend" }).resources, "AWS::SSM::Parameter").map(([, r]) => r.Properties);
    expect(parameter).toEqual([expect.objectContaining({ Name: "/team/vend/limits-table", Type: "String", Value: { Ref: expect.stringMatching(/LimitsTable/) } })]);
  });

  it("lets the API role only UpdateItem on that table: no read, no Scan or Query, no table administration, nothing for the refresh", () => {
    const dynamo = statements(defaults.resources).filter((s) => s.actions.some((action) => action.startsWith("dynamodb:")));
    const apiRole = defaults.stack.getLogicalId(defaults.stack.vendor.role.node.defaultChild as never);
    const tableId = defaults.stack.getLogicalId(defaults.stack.vendor.limitsTable?.node.defaultChild as never);
    expect(dynamo).toEqual([{ actions: ["dynamodb:UpdateItem"], resources: [{ "Fn::GetAtt": [tableId, "Arn"] }], owner: apiRole }]);
  });

  it("passes the failure mode to the API function: open by default, closed when asked (prop or context)", () => {
    const variables = (s: ReturnType<typeof synth>) => {
      const fn = s.template.findResources("AWS::Lambda::Function", { Properties: { Description: "mantle-vend: vends Mantle bearer tokens and model catalogs" } });
      return (Object.values(fn)[0] as Resource).Properties?.Environment as { Variables: Record<string, unknown> };
    };
    expect(variables(defaults).Variables.MANTLE_VEND_LIMITS_FAILURE).toBe("open");
    expect(variables(synth({ fleetLimitsFailure: "closed" })).Variables.MANTLE_VEND_LIMITS_FAILURE).toBe("closed");
    expect(variables(synth(propsFromContext({ fleetLimitsFailure: "closed" }))).Variables.MANTLE_VEND_LIMITS_FAILURE).toBe("closed");
    expect(() => propsFromContext({ fleetLimitsFailure: "sometimes" })).toThrow(/fleetLimitsFailure/);
  });

  it("-c fleetLimits=false leaves out the table, its parameter, its grant and the API's limits variables", () => {
    expect(ofType(off.resources, "AWS::DynamoDB::Table")).toEqual([]);
    expect(ofType(off.resources, "AWS::SSM::Parameter")).toEqual([]);
    expect(statements(off.resources).flatMap((s) => s.actions).filter((a) => a.startsWith("dynamodb:"))).toEqual([]);
    expect(JSON.stringify(off.resources)).not.toMatch(/MANTLE_VEND_LIMITS/);
    expect(off.stack.vendor.limitsTable).toBeUndefined();
  });
});

describe("the dashboard shows tokens, refusals by reason, the 5xx share, duration, catalog age per region and dependency errors", () => {
  let body: { widgets: Array<{ properties: { title?: string; metrics?: unknown[][] } }> };
  beforeAll(() => {
    const [, dashboard] = ofType(defaults.resources, "AWS::CloudWatch::Dashboard")[0] as [string, Resource];
    // The body is a Fn::Join of literal JSON and tokens; the tokens (function names, alarm ARNs) become strings.
    const parts = (dashboard.Properties?.DashboardBody as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
    body = JSON.parse(parts.map((part) => (typeof part === "string" ? part : "TOKEN")).join(""));
  });

  const widget = (title: string) => {
    const found = body.widgets.find((w) => w.properties.title === title);
    if (found === undefined) throw new Error(`no widget "${title}"`);
    return found.properties;
  };
  const metricNames = (title: string): string[] => (widget(title).metrics ?? []).flatMap((m) => m.filter((part): part is string => typeof part === "string").slice(0, 2)).filter((part) => part !== "MantleVend" && part !== "AWS/Lambda" && part !== "...");

  it("has one widget per view an operator needs, and the alarms", () => {
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      "Tokens minted",
      "Refusals by reason",
      "5xx share of requests (%)",
      "API duration p50 / p99 (ms)",
      "Catalog age per region (s)",
      "Dependency errors",
      "Alarms",
    ]);
    expect(metricNames("Tokens minted")).toContain("TokensMinted");
    expect(JSON.stringify(widget("Refusals by reason"))).toMatch(/"reason","unauthenticated".*"reason","not_found"/);
    expect(JSON.stringify(widget("5xx share of requests (%)"))).toMatch(/Url5xxCount.*UrlRequestCount/);
    expect(JSON.stringify(widget("API duration p50 / p99 (ms)"))).toMatch(/"stat":"p50".*"stat":"p99"/);
    for (const region of MANTLE_REGIONS) expect(JSON.stringify(widget("Catalog age per region (s)"))).toContain(`"region","${region}"`);
    expect(JSON.stringify(widget("Dependency errors"))).toMatch(/"dependency","ssm".*"dependency","mantle"/);
  });

  it("is public readonly on the construct", () => {
    expect(defaults.stack.vendor.dashboard).toBeDefined();
  });
});

describe("saved Logs Insights queries: tokens by principal, refusals by principal and reason, one principal's requests", () => {
  it("creates three query definitions over the API log group", () => {
    const queries = ofType(defaults.resources, "AWS::Logs::QueryDefinition").map(([, r]) => r.Properties as { Name: string; QueryString: string; LogGroupNames: unknown[] });
    expect(queries.map((q) => q.Name).sort()).toEqual([
      "mantle-vend/every request of one principal (edit the principal)",
      "mantle-vend/refusals by principal and reason",
      "mantle-vend/tokens by principal (last 24 h)",
    ]);
    const apiLogGroup = defaults.stack.getLogicalId(defaults.stack.vendor.apiLogGroup.node.defaultChild as never);
    for (const query of queries) expect(query.LogGroupNames).toEqual([{ Ref: apiLogGroup }]);
    const text = (name: string) => queries.find((q) => q.Name.includes(name))?.QueryString ?? "";
    expect(text("tokens by principal")).toMatch(/filter .*route = "tokens"[\s\S]*stats count\(\*\) as tokens by principal/);
    expect(text("refusals")).toMatch(/ispresent\(reason\)[\s\S]*stats count\(\*\) as refusals by principal, reason/);
    expect(text("every request")).toMatch(/principal = "key:0123456789abcdef"[\s\S]*sort @timestamp desc/);
  });
});
