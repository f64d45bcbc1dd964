import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { App, CfnResource, Duration, RemovalPolicy, Stack, Validations } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as iam from "aws-cdk-lib/aws-iam";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { AwsSolutionsChecks, NagRuleCompliance, rules } from "cdk-nag";
import type { IConstruct } from "constructs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MantleTokenVendor, MantleVendStack, type MantleVendStackProps } from "../../infra/index.js";
import { MANTLE_REGIONS } from "../../lambda/regions.js";

const REPO_ROOT = fileURLToPath(new URL("../..", import.meta.url));

const DEFAULT_REGIONS = MANTLE_REGIONS;
const MANTLE_INFERENCE_ACTIONS = ["bedrock-mantle:CreateInference", "bedrock-mantle:Get*", "bedrock-mantle:List*"];
const BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

// ---------------------------------------------------------------------------------------------
// Synthesis helpers. Each variant is synthesized once (bundling runs esbuild) and shared.
// ---------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Synthesized {
  readonly app: App;
  readonly stack: MantleVendStack;
  readonly vendor: MantleTokenVendor;
  readonly template: Template;
  readonly resources: Record<string, JsonObject>;
  readonly outputs: Record<string, JsonObject>;
  /** Logical id of a construct's CloudFormation resource. */
  id(construct: IConstruct): string;
  /** Properties of a construct's CloudFormation resource. */
  props(construct: IConstruct): JsonObject;
}

const outdirs: string[] = [];

function synth(props: MantleVendStackProps = {}): Synthesized {
  const outdir = mkdtempSync(join(tmpdir(), "mantle-vend-infra-"));
  outdirs.push(outdir);
  const app = new App({ outdir });
  const stack = new MantleVendStack(app, "MantleVendStack", props);
  const template = Template.fromStack(stack);
  const json = template.toJSON() as JsonObject;
  const resources = asObject(json["Resources"]) as Record<string, JsonObject>;
  const outputs = asObject(json["Outputs"] ?? {}) as Record<string, JsonObject>;
  const id = (construct: IConstruct): string => {
    const cfn = construct instanceof CfnResource ? construct : construct.node.defaultChild;
    if (!(cfn instanceof CfnResource)) throw new Error(`${construct.node.path} has no CfnResource`);
    return stack.getLogicalId(cfn);
  };
  const props_ = (construct: IConstruct): JsonObject => {
    const resource = resources[id(construct)];
    if (!resource) throw new Error(`no resource for ${construct.node.path}`);
    return asObject(resource["Properties"] ?? {});
  };
  return { app, stack, vendor: stack.vendor, template, resources, outputs, id, props: props_ };
}

function asObject(value: Json | undefined): JsonObject {
  if (value === null || value === undefined || typeof value !== "object" || Array.isArray(value)) {
    throw new Error(`expected an object, got ${JSON.stringify(value)}`);
  }
  return value;
}

function asArray(value: Json | undefined): Json[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Renders Fn::Join / Ref / Fn::GetAtt as a readable string so ARNs can be compared exactly. */
function flat(value: Json | undefined): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && !Array.isArray(value)) {
    const join = value["Fn::Join"];
    if (Array.isArray(join)) {
      const [delimiter, parts] = join;
      return asArray(parts).map(flat).join(typeof delimiter === "string" ? delimiter : "");
    }
    if (typeof value["Ref"] === "string") return `\${${value["Ref"]}}`;
    const getAtt = value["Fn::GetAtt"];
    if (Array.isArray(getAtt)) return `\${${getAtt.map(flat).join(".")}}`;
  }
  return JSON.stringify(value);
}

const ssmArn = (name: string): string =>
  `arn:\${AWS::Partition}:ssm:\${AWS::Region}:\${AWS::AccountId}:parameter${name}`;
const mantleProjectArn = (region: string): string =>
  `arn:\${AWS::Partition}:bedrock-mantle:${region}:\${AWS::AccountId}:project/*`;
const KMS_KEYS_ARN = "arn:${AWS::Partition}:kms:${AWS::Region}:${AWS::AccountId}:key/*";

interface Statement {
  readonly sid: string;
  readonly effect: string;
  readonly actions: string[];
  readonly resources: string[];
  readonly condition: Json | undefined;
}

function toStatements(document: Json | undefined): Statement[] {
  return asArray(asObject(document)["Statement"]).map((raw) => {
    const s = asObject(raw);
    return {
      sid: typeof s["Sid"] === "string" ? s["Sid"] : "",
      effect: String(s["Effect"]),
      actions: asArray(s["Action"]).map(flat),
      resources: asArray(s["Resource"]).map(flat),
      condition: s["Condition"],
    };
  });
}

/** Every statement that grants something to a role: its inline policies plus AWS::IAM::Policy resources attached to it. */
function roleStatements(s: Synthesized, role: iam.Role): Statement[] {
  const roleId = s.id(role);
  const inline = asArray(s.props(role)["Policies"]).flatMap((p) => toStatements(asObject(p)["PolicyDocument"]));
  const attached = Object.values(s.resources)
    .filter((r) => r["Type"] === "AWS::IAM::Policy")
    .filter((r) => asArray(asObject(r["Properties"])["Roles"]).some((ref) => flat(ref) === `\${${roleId}}`))
    .flatMap((r) => toStatements(asObject(r["Properties"])["PolicyDocument"]));
  return [...inline, ...attached];
}

function statementBySid(statements: Statement[], sid: string): Statement {
  const found = statements.filter((st) => st.sid === sid);
  expect(found, `exactly one statement with Sid ${sid}`).toHaveLength(1);
  return found[0] as Statement;
}

function env(s: Synthesized, fn: IConstruct): Record<string, string> {
  const variables = asObject(asObject(s.props(fn)["Environment"])["Variables"]);
  return Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, flat(v)]));
}

function resourcesOfType(s: Synthesized, type: string): JsonObject[] {
  return Object.values(s.resources)
    .filter((r) => r["Type"] === type)
    .map((r) => asObject(r["Properties"] ?? {}));
}

let defaults: Synthesized;
let custom: Synthesized;
let noSchedule: Synthesized;
let attribution: Synthesized;
/** Operator props: log groups destroyed with the stack, alarms sent to a topic. */
let operated: Synthesized;
let noLimits: Synthesized;
const ALARM_TOPIC_ARN = "arn:aws:sns:us-east-1:123456789012:mantle-vend-alarms";
const LOGIN = { issuer: "https://acme.okta.com/oauth2/default", clientId: "0oa1mantlevend" };

const CUSTOM: MantleVendStackProps = {
  parameterPrefix: "/team-a/vend",
  regions: ["us-east-1", "eu-west-1"],
  defaultTtl: Duration.minutes(15),
  maxTtl: Duration.hours(12),
  catalogRefreshInterval: Duration.minutes(15),
  reservedConcurrency: 5,
  logRetention: RetentionDays.ONE_WEEK,
};

beforeAll(() => {
  defaults = synth();
  custom = synth(CUSTOM);
  noSchedule = synth({ catalogRefreshInterval: null });
  noLimits = synth({ fleetLimits: false });
  attribution = synth({ perKeyAttribution: true });
  operated = synth({ logRemovalPolicy: RemovalPolicy.DESTROY, alarmTopicArn: ALARM_TOPIC_ARN, login: LOGIN });
});

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe("the function URL is public (AuthType NONE) with the invoke permissions CDK grants", () => {
  it("has AuthType NONE, targets the API function and configures no CORS", () => {
    const urls = resourcesOfType(defaults, "AWS::Lambda::Url");
    expect(urls).toHaveLength(1);
    const url = urls[0] as JsonObject;
    expect(url["AuthType"]).toBe("NONE");
    expect(flat(url["TargetFunctionArn"])).toBe(`\${${defaults.id(defaults.vendor.apiFunction)}.Arn}`);
    expect(url["Cors"]).toBeUndefined();
  });

  it("lets anyone call lambda:InvokeFunctionUrl with FunctionUrlAuthType NONE", () => {
    defaults.template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunctionUrl",
      Principal: "*",
      FunctionUrlAuthType: "NONE",
      FunctionName: { "Fn::GetAtt": [defaults.id(defaults.vendor.apiFunction), "Arn"] },
    });
  });

  it("lets anyone call lambda:InvokeFunction only when invoked via the function URL", () => {
    defaults.template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "*",
      InvokedViaFunctionUrl: true,
      FunctionName: { "Fn::GetAtt": [defaults.id(defaults.vendor.apiFunction), "Arn"] },
    });
  });

  it("grants no other public permission", () => {
    const publicPermissions = resourcesOfType(defaults, "AWS::Lambda::Permission").filter((p) => p["Principal"] === "*");
    expect(publicPermissions).toHaveLength(2);
  });
});

describe("both functions run Node.js 24 on arm64", () => {
  it("uses runtime nodejs24.x and architecture arm64 for the API and refresh functions", () => {
    for (const fn of [defaults.vendor.apiFunction, defaults.vendor.refreshFunction]) {
      const props = defaults.props(fn);
      expect(props["Runtime"]).toBe("nodejs24.x");
      expect(props["Architectures"]).toEqual(["arm64"]);
      expect(props["Handler"]).toBe("index.handler");
    }
    expect(resourcesOfType(defaults, "AWS::Lambda::Function")).toHaveLength(2);
  });
});

describe("memory, timeout and concurrency: API 256 MB / 10 s, refresh 256 MB / 60 s", () => {
  it("gives the API function 256 MB and a 10 s timeout", () => {
    const props = defaults.props(defaults.vendor.apiFunction);
    expect(props["MemorySize"]).toBe(256);
    expect(props["Timeout"]).toBe(10);
  });

  it("gives the refresh function 256 MB and a 60 s timeout", () => {
    const props = defaults.props(defaults.vendor.refreshFunction);
    expect(props["MemorySize"]).toBe(256);
    expect(props["Timeout"]).toBe(60);
  });

  it("reserves no concurrency unless asked, and exactly what is asked otherwise", () => {
    expect(defaults.props(defaults.vendor.apiFunction)["ReservedConcurrentExecutions"]).toBeUndefined();
    expect(custom.props(custom.vendor.apiFunction)["ReservedConcurrentExecutions"]).toBe(5);
    expect(custom.props(custom.vendor.refreshFunction)["ReservedConcurrentExecutions"]).toBeUndefined();
  });
});

describe("bundles are minified ESM with a createRequire banner and the AWS SDK left external", () => {
  const bundleOf = (s: Synthesized, fn: IConstruct): string => {
    // The asset hash is the S3 key without ".zip"; the staged directory is asset.<hash>.
    const key = flat(asObject(s.props(fn)["Code"])["S3Key"]).replace(/\.zip$/, "");
    const file = join(s.app.outdir, `asset.${key}`, "index.mjs");
    expect(existsSync(file), `${file} exists`).toBe(true);
    return readFileSync(file, "utf8");
  };

  it("starts each bundle with the createRequire banner and exports the handler as ESM", () => {
    for (const fn of [defaults.vendor.apiFunction, defaults.vendor.refreshFunction]) {
      const code = bundleOf(defaults, fn);
      expect(code.startsWith(BANNER)).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bas handler\b[^}]*\}/);
      expect(code).not.toContain("sourceMappingURL");
    }
  });

  it("imports @aws-sdk packages from the runtime instead of inlining them", () => {
    const code = bundleOf(defaults, defaults.vendor.apiFunction);
    // SSM is reached with @aws-sdk/client-ssm, so the API bundle must reference it externally...
    expect(code).toMatch(/from\s*"@aws-sdk\/client-ssm"|require\("@aws-sdk\/client-ssm"\)/);
    // ...and must not carry the client itself (its service target string only exists in the SDK's code).
    expect(code).not.toContain("AmazonSSM");
  });
});

describe("environment variables carry the configuration (docs/configuration.md)", () => {
  it("sets the defaults on the API function, with the limits table and its failure mode", () => {
    expect(env(defaults, defaults.vendor.apiFunction)).toEqual({
      MANTLE_VEND_PARAMETER_PREFIX: "/mantle-vend",
      MANTLE_VEND_REGIONS: DEFAULT_REGIONS.join(","),
      MANTLE_VEND_DEFAULT_TTL_SECONDS: "3600",
      MANTLE_VEND_MAX_TTL_SECONDS: "3600",
      MANTLE_VEND_CATALOG_TTL_SECONDS: "3600",
      POWERTOOLS_SERVICE_NAME: "mantle-vend",
      MANTLE_VEND_LIMITS_TABLE: `\${${defaults.id(defaults.vendor.limitsTable as IConstruct)}}`,
      MANTLE_VEND_LIMITS_FAILURE: "open",
    });
  });

  it("gives the refresh function the same environment, without the limits the API alone uses", () => {
    const { MANTLE_VEND_LIMITS_TABLE: _table, MANTLE_VEND_LIMITS_FAILURE: _failure, ...shared } = env(defaults, defaults.vendor.apiFunction);
    expect(env(defaults, defaults.vendor.refreshFunction)).toEqual(shared);
    expect(env(noLimits, noLimits.vendor.refreshFunction)).toEqual(env(noLimits, noLimits.vendor.apiFunction));
  });

  it("reflects custom regions, TTLs and refresh interval", () => {
    expect(env(custom, custom.vendor.refreshFunction)).toEqual({
      MANTLE_VEND_PARAMETER_PREFIX: "/team-a/vend",
      MANTLE_VEND_REGIONS: "us-east-1,eu-west-1",
      MANTLE_VEND_DEFAULT_TTL_SECONDS: "900",
      MANTLE_VEND_MAX_TTL_SECONDS: "43200",
      MANTLE_VEND_CATALOG_TTL_SECONDS: "900",
      POWERTOOLS_SERVICE_NAME: "mantle-vend",
    });
  });

  it("falls back to a 3600 s catalog TTL when the schedule is off", () => {
    expect(env(noSchedule, noSchedule.vendor.apiFunction)["MANTLE_VEND_CATALOG_TTL_SECONDS"]).toBe("3600");
  });

  it("passes the login prop to the API function only (GET /v1/identity), scopes defaulted; nothing without it", () => {
    expect(env(operated, operated.vendor.apiFunction)).toMatchObject({
      MANTLE_VEND_LOGIN_ISSUER: LOGIN.issuer,
      MANTLE_VEND_LOGIN_CLIENT_ID: LOGIN.clientId,
      MANTLE_VEND_LOGIN_SCOPES: "openid email profile offline_access",
    });
    expect(Object.keys(env(operated, operated.vendor.refreshFunction)).filter((name) => name.includes("LOGIN"))).toEqual([]);
    expect(Object.keys(env(defaults, defaults.vendor.apiFunction)).filter((name) => name.includes("LOGIN"))).toEqual([]);
  });

  it("does not set MANTLE_VEND_TOKEN_ROLE_ARN outside attribution mode", () => {
    expect(env(defaults, defaults.vendor.apiFunction)).not.toHaveProperty("MANTLE_VEND_TOKEN_ROLE_ARN");
  });
});

describe("the API role reads only its own prefix, writes only catalogs and holds the Mantle signer actions", () => {
  it("has exactly the expected statements with exact resource ARNs", () => {
    const statements = roleStatements(defaults, defaults.vendor.role);
    expect(statements.map((st) => st.sid).sort()).toEqual(
      [
        "DecryptSecureStringsViaSsm",
        "ListOwnParameterPaths",
        "MantleBearerToken",
        "MantleInference",
        "ReadOwnParameters",
        "WriteCatalogs",
        "WriteOwnLogs",
        "CountInLimitsTable",
      ].sort(),
    );
    expect(statements.every((st) => st.effect === "Allow")).toBe(true);

    const read = statementBySid(statements, "ReadOwnParameters");
    expect(read.actions.sort()).toEqual(["ssm:GetParameter", "ssm:GetParameters"]);
    expect(read.resources).toEqual([ssmArn("/mantle-vend/*")]);

    // GetParametersByPath is authorized against the requested path, so the prefix itself is listed too.
    const list = statementBySid(statements, "ListOwnParameterPaths");
    expect(list.actions).toEqual(["ssm:GetParametersByPath"]);
    expect(list.resources.sort()).toEqual([ssmArn("/mantle-vend"), ssmArn("/mantle-vend/*")].sort());

    const mantle = statementBySid(statements, "MantleInference");
    expect(mantle.actions.sort()).toEqual([...MANTLE_INFERENCE_ACTIONS].sort());
    expect(mantle.resources).toEqual(DEFAULT_REGIONS.map(mantleProjectArn));

    const bearer = statementBySid(statements, "MantleBearerToken");
    expect(bearer.actions).toEqual(["bedrock-mantle:CallWithBearerToken"]);
    expect(bearer.resources).toEqual(["*"]);
  });

  it("reads and lists the identity policies (<prefix>/identities/*, loaded with the keys) through its prefix-wide statements", () => {
    const statements = roleStatements(defaults, defaults.vendor.role);
    const covers = (pattern: string, arn: string): boolean =>
      new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`).test(arn);
    for (const [sid, name] of [["ReadOwnParameters", "/mantle-vend/identities/ci"], ["ListOwnParameterPaths", "/mantle-vend/identities"]] as const) {
      expect(statementBySid(statements, sid).resources.some((resource) => covers(resource, ssmArn(name))), `${sid} covers ${name}`).toBe(true);
    }
  });

  it("decrypts only through SSM in its region and only with the aws/ssm key", () => {
    const decrypt = statementBySid(roleStatements(defaults, defaults.vendor.role), "DecryptSecureStringsViaSsm");
    expect(decrypt.actions).toEqual(["kms:Decrypt"]);
    expect(decrypt.resources).toEqual([KMS_KEYS_ARN]);
    const condition = asObject(decrypt.condition);
    expect(flat(asObject(condition["StringEquals"])["kms:ViaService"])).toBe("ssm.${AWS::Region}.amazonaws.com");
    expect(asObject(condition["ForAnyValue:StringEquals"])["kms:ResourceAliases"]).toBe("alias/aws/ssm");
  });

  it("writes logs only to its own log group", () => {
    const logsStatement = statementBySid(roleStatements(defaults, defaults.vendor.role), "WriteOwnLogs");
    expect(logsStatement.actions.sort()).toEqual(["logs:CreateLogStream", "logs:PutLogEvents"]);
    expect(logsStatement.resources).toEqual([`\${${defaults.id(defaults.vendor.apiLogGroup)}.Arn}`]);
  });

  it("uses Resource \"*\" only for bedrock-mantle:CallWithBearerToken, which has no resource type", () => {
    for (const s of [defaults, custom, attribution]) {
      for (const role of [s.vendor.role, s.vendor.refreshRole, ...(s.vendor.tokenRole ? [s.vendor.tokenRole] : [])]) {
        for (const st of roleStatements(s, role).filter((x) => x.resources.includes("*"))) {
          expect(st.actions).toEqual(["bedrock-mantle:CallWithBearerToken"]);
        }
      }
    }
  });

  it("writes parameters only under <prefix>/catalogs/*, to share a catalog it fetched live", () => {
    const statements = roleStatements(defaults, defaults.vendor.role);
    const writes = statements.filter((st) => st.actions.some((a) => /^ssm:(Put|Delete|Label|AddTags)/.test(a)));
    expect(writes).toHaveLength(1);
    expect(writes[0]?.actions.sort()).toEqual(["ssm:DeleteParameter", "ssm:PutParameter"]);
    expect(writes[0]?.resources).toEqual([ssmArn("/mantle-vend/catalogs/*")]);
    const actions = statements.flatMap((st) => st.actions);
    expect(actions.some((a) => a.endsWith(":*") || a === "*")).toBe(false);
  });

  it("attaches no managed policies to any role", () => {
    for (const s of [defaults, attribution]) {
      for (const role of resourcesOfType(s, "AWS::IAM::Role")) expect(role["ManagedPolicyArns"]).toBeUndefined();
      expect(resourcesOfType(s, "AWS::IAM::ManagedPolicy")).toHaveLength(0);
    }
  });

  it("is assumable only by the Lambda service", () => {
    for (const role of [defaults.vendor.role, defaults.vendor.refreshRole]) {
      const document = asObject(defaults.props(role)["AssumeRolePolicyDocument"]);
      const trust = asArray(document["Statement"]).map(asObject);
      expect(trust).toHaveLength(1);
      expect(trust[0]?.["Action"]).toBe("sts:AssumeRole");
      expect(trust[0]?.["Principal"]).toEqual({ Service: "lambda.amazonaws.com" });
    }
  });
});

describe("the refresh role writes only under <prefix>/catalogs/*", () => {
  it("may put and delete parameters only under <prefix>/catalogs/*", () => {
    const statements = roleStatements(defaults, defaults.vendor.refreshRole);
    const writes = statements.filter((st) => st.actions.some((a) => /^ssm:(Put|Delete)/.test(a)));
    expect(writes).toHaveLength(1);
    expect(writes[0]?.actions.sort()).toEqual(["ssm:DeleteParameter", "ssm:PutParameter"]);
    expect(writes[0]?.resources).toEqual([ssmArn("/mantle-vend/catalogs/*")]);
  });

  it("has the API role's parameter reads, its own log group, and on Mantle only signing and listing", () => {
    const statements = roleStatements(defaults, defaults.vendor.refreshRole);
    const api = roleStatements(defaults, defaults.vendor.role);
    for (const sid of ["ReadOwnParameters", "ListOwnParameterPaths", "WriteCatalogs", "MantleBearerToken"]) {
      expect(statementBySid(statements, sid)).toEqual(statementBySid(api, sid));
    }
    expect(statementBySid(statements, "MantleListModels")).toMatchObject({
      actions: ["bedrock-mantle:List*"],
      resources: DEFAULT_REGIONS.map(mantleProjectArn),
    });
    expect(statementBySid(statements, "WriteOwnLogs").resources).toEqual([
      `\${${defaults.id(defaults.vendor.refreshLogGroup)}.Arn}`,
    ]);
    expect(statements).toHaveLength(6);
  });

  it.each([
    ["default mode", () => defaults],
    ["attribution mode", () => attribution],
  ])("holds no Mantle inference or Get* action and no kms:Decrypt (%s)", (_label, variant) => {
    const s = variant();
    const actions = roleStatements(s, s.vendor.refreshRole).flatMap((st) => st.actions);
    expect(actions.filter((a) => a.startsWith("bedrock-mantle:")).sort()).toEqual(["bedrock-mantle:CallWithBearerToken", "bedrock-mantle:List*"]);
    expect(actions).not.toContain("kms:Decrypt");
  });

  it("is a different role from the API function's", () => {
    expect(defaults.id(defaults.vendor.refreshRole)).not.toBe(defaults.id(defaults.vendor.role));
    expect(flat(defaults.props(defaults.vendor.refreshFunction)["Role"])).toBe(
      `\${${defaults.id(defaults.vendor.refreshRole)}.Arn}`,
    );
    expect(flat(defaults.props(defaults.vendor.apiFunction)["Role"])).toBe(`\${${defaults.id(defaults.vendor.role)}.Arn}`);
  });
});

describe("log groups outlive the stack unless logRemovalPolicy says otherwise", () => {
  it("retains both log groups by default (deletion and replacement)", () => {
    for (const group of [defaults.vendor.apiLogGroup, defaults.vendor.refreshLogGroup]) {
      const resource = defaults.resources[defaults.id(group)];
      expect(resource?.["DeletionPolicy"]).toBe("Retain");
      expect(resource?.["UpdateReplacePolicy"]).toBe("Retain");
    }
  });

  it("destroys them with the stack when logRemovalPolicy is DESTROY", () => {
    for (const group of [operated.vendor.apiLogGroup, operated.vendor.refreshLogGroup]) {
      expect(operated.resources[operated.id(group)]?.["DeletionPolicy"]).toBe("Delete");
    }
  });
});

describe("alarms watch the refresh function's errors, the API's 5xx rate, stale catalogs and failing dependencies", () => {
  const alarms = (s: Synthesized): JsonObject[] => resourcesOfType(s, "AWS::CloudWatch::Alarm");

  it("alarms on any refresh function error", () => {
    const alarm = defaults.props(defaults.vendor.refreshErrorsAlarm);
    expect(alarm).toMatchObject({ MetricName: "Errors", Namespace: "AWS/Lambda", Statistic: "Sum", Threshold: 1, ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching" });
    expect(asArray(alarm["Dimensions"]).map(asObject).map((d) => [d["Name"], flat(d["Value"])])).toEqual([["FunctionName", `\${${defaults.id(defaults.vendor.refreshFunction)}}`]]);
  });

  it("alarms on the function URL's 5xx share of requests (Url5xxCount / UrlRequestCount)", () => {
    const alarm = defaults.props(defaults.vendor.api5xxAlarm);
    const metrics = asArray(alarm["Metrics"]).map(asObject);
    const stats = metrics.filter((m) => m["MetricStat"] !== undefined).map((m) => asObject(asObject(m["MetricStat"])["Metric"]));
    expect(stats.map((m) => m["MetricName"]).sort()).toEqual(["Url5xxCount", "UrlRequestCount"]);
    for (const metric of stats) {
      expect(metric["Namespace"]).toBe("AWS/Lambda");
      expect(asArray(metric["Dimensions"]).map(asObject).map((d) => [d["Name"], flat(d["Value"])])).toEqual([["FunctionName", `\${${defaults.id(defaults.vendor.apiFunction)}}`]]);
    }
    expect(metrics.some((m) => typeof m["Expression"] === "string" && m["ReturnData"] !== false)).toBe(true);
    expect(alarm["Threshold"]).toBe(5);
    expect(alarm["TreatMissingData"]).toBe("notBreaching");
  });

  it("catalogStaleAlarm: the oldest catalog age (the refresh's region-less rollup) above three refresh intervals", () => {
    const stale = defaults.props(defaults.vendor.catalogStaleAlarm);
    expect(stale).toMatchObject({
      Namespace: "MantleVend",
      MetricName: "CatalogAgeSeconds",
      Statistic: "Maximum",
      Threshold: 3 * 3600,
      Period: 3600,
      ComparisonOperator: "GreaterThanThreshold",
      Dimensions: [{ Name: "service", Value: "mantle-vend" }],
    });
    expect(custom.props(custom.vendor.catalogStaleAlarm)).toMatchObject({ Threshold: 3 * 900, Period: 900 });
    expect(noSchedule.props(noSchedule.vendor.catalogStaleAlarm)).toMatchObject({ Threshold: 3 * 3600 });
  });

  it("dependencyErrorsAlarm: the DependencyErrors of every dependency summed, 5 or more in 2 of 3 five-minute periods", () => {
    const alarm = defaults.props(defaults.vendor.dependencyErrorsAlarm);
    const metrics = asArray(alarm["Metrics"]).map(asObject);
    const stats = metrics.filter((m) => m["MetricStat"] !== undefined).map((m) => asObject(asObject(m["MetricStat"])["Metric"]));
    expect(stats.map((m) => asArray(m["Dimensions"]).map(asObject).find((d) => d["Name"] === "dependency")?.["Value"]).sort()).toEqual(["dynamodb", "jwks", "mantle", "ssm", "sts"]);
    for (const metric of stats) expect(metric).toMatchObject({ Namespace: "MantleVend", MetricName: "DependencyErrors" });
    expect(metrics.find((m) => typeof m["Expression"] === "string")?.["Expression"]).toBe("FILL(ssm, 0) + FILL(sts, 0) + FILL(dynamodb, 0) + FILL(jwks, 0) + FILL(mantle, 0)");
    expect(alarm).toMatchObject({ Threshold: 5, EvaluationPeriods: 3, DatapointsToAlarm: 2, ComparisonOperator: "GreaterThanOrEqualToThreshold", TreatMissingData: "notBreaching" });
  });

  it("has no alarm actions without an alarmTopic", () => {
    expect(alarms(defaults)).toHaveLength(4);
    for (const alarm of alarms(defaults)) expect(alarm["AlarmActions"]).toBeUndefined();
  });

  it("sends every alarm (and its recovery) to the alarmTopic when one is given", () => {
    expect(alarms(operated)).toHaveLength(4);
    for (const alarm of alarms(operated)) {
      expect(asArray(alarm["AlarmActions"]).map(flat)).toEqual([ALARM_TOPIC_ARN]);
      expect(asArray(alarm["OKActions"]).map(flat)).toEqual([ALARM_TOPIC_ARN]);
    }
  });
});

describe("the refresh schedule invokes the refresh function at the configured rate", () => {
  it("defaults to rate(60 minutes) targeting the refresh function, with an events invoke permission", () => {
    const rule = defaults.props(defaults.vendor.schedule as IConstruct);
    expect(rule["ScheduleExpression"]).toBe("rate(60 minutes)");
    expect(rule["State"]).toBe("ENABLED");
    const targets = asArray(rule["Targets"]).map(asObject);
    expect(targets).toHaveLength(1);
    expect(flat(targets[0]?.["Arn"])).toBe(`\${${defaults.id(defaults.vendor.refreshFunction)}.Arn}`);
    defaults.template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [defaults.id(defaults.vendor.refreshFunction), "Arn"] },
      SourceArn: { "Fn::GetAtt": [defaults.id(defaults.vendor.schedule as IConstruct), "Arn"] },
    });
  });

  it("uses a custom interval in minutes", () => {
    expect(custom.props(custom.vendor.schedule as IConstruct)["ScheduleExpression"]).toBe("rate(15 minutes)");
  });

  it("creates no rule when catalogRefreshInterval is null, but keeps the refresh function", () => {
    expect(noSchedule.vendor.schedule).toBeUndefined();
    noSchedule.template.resourceCountIs("AWS::Events::Rule", 0);
    expect(noSchedule.props(noSchedule.vendor.refreshFunction)["Timeout"]).toBe(60);
    const eventPermissions = resourcesOfType(noSchedule, "AWS::Lambda::Permission").filter(
      (p) => p["Principal"] === "events.amazonaws.com",
    );
    expect(eventPermissions).toHaveLength(0);
  });
});

describe("each function logs to its own log group with retention", () => {
  it("retains logs 30 days by default and wires each function to its group", () => {
    defaults.template.resourceCountIs("AWS::Logs::LogGroup", 2);
    for (const [fn, group] of [
      [defaults.vendor.apiFunction, defaults.vendor.apiLogGroup],
      [defaults.vendor.refreshFunction, defaults.vendor.refreshLogGroup],
    ] as const) {
      expect(defaults.props(group)["RetentionInDays"]).toBe(30);
      expect(flat(asObject(defaults.props(fn)["LoggingConfig"])["LogGroup"])).toBe(`\${${defaults.id(group)}}`);
    }
  });

  it("uses a custom retention for both groups", () => {
    expect(custom.props(custom.vendor.apiLogGroup)["RetentionInDays"]).toBe(7);
    expect(custom.props(custom.vendor.refreshLogGroup)["RetentionInDays"]).toBe(7);
  });
});

describe("the stack outputs FunctionUrl, ParameterPrefix, Region, NextStep and, in attribution mode, TokenRoleArn", () => {
  it("outputs the function URL", () => {
    expect(flat(defaults.outputs["FunctionUrl"]?.["Value"])).toBe(
      `\${${defaults.id(defaults.vendor.functionUrl)}.FunctionUrl}`,
    );
  });

  it("outputs the parameter prefix", () => {
    expect(defaults.outputs["ParameterPrefix"]?.["Value"]).toBe("/mantle-vend");
    expect(custom.outputs["ParameterPrefix"]?.["Value"]).toBe("/team-a/vend");
  });

  it("outputs the stack's region and the admin command that creates the first key there", () => {
    expect(flat(defaults.outputs["Region"]?.["Value"])).toBe("${AWS::Region}");
    expect(flat(defaults.outputs["NextStep"]?.["Value"])).toBe("npx mantle-vend-admin keys create --name first-key --region ${AWS::Region}");
    expect(flat(custom.outputs["NextStep"]?.["Value"])).toBe("npx mantle-vend-admin keys create --name first-key --region ${AWS::Region} --prefix /team-a/vend");
  });

  it("outputs the token role's ARN in attribution mode only", () => {
    expect(defaults.outputs["TokenRoleArn"]).toBeUndefined();
    const role = attribution.vendor.tokenRole;
    expect(role).toBeDefined();
    expect(flat(attribution.outputs["TokenRoleArn"]?.["Value"])).toBe(`\${${attribution.id(role as iam.Role)}.Arn}`);
  });
});

describe("a custom parameterPrefix flows to the environment and every SSM ARN", () => {
  it("scopes reads, listing and catalog writes to the custom prefix", () => {
    const api = roleStatements(custom, custom.vendor.role);
    expect(statementBySid(api, "ReadOwnParameters").resources).toEqual([ssmArn("/team-a/vend/*")]);
    expect(statementBySid(api, "ListOwnParameterPaths").resources.sort()).toEqual(
      [ssmArn("/team-a/vend"), ssmArn("/team-a/vend/*")].sort(),
    );
    const refresh = roleStatements(custom, custom.vendor.refreshRole);
    expect(statementBySid(refresh, "WriteCatalogs").resources).toEqual([ssmArn("/team-a/vend/catalogs/*")]);
    const allResources = [...api, ...refresh].flatMap((st) => st.resources).filter((r) => r.includes(":ssm:"));
    expect(allResources.every((r) => r.includes("parameter/team-a/vend"))).toBe(true);
    expect(env(custom, custom.vendor.apiFunction)["MANTLE_VEND_PARAMETER_PREFIX"]).toBe("/team-a/vend");
  });

  it("scopes the Mantle project ARNs to the configured regions", () => {
    const mantle = statementBySid(roleStatements(custom, custom.vendor.role), "MantleInference");
    expect(mantle.resources).toEqual(["us-east-1", "eu-west-1"].map(mantleProjectArn));
  });
});

describe("attribution mode signs with a token role that trusts only the API role", () => {
  it("creates a token role whose trust policy allows only the API role, with sts:SetSourceIdentity", () => {
    const tokenRole = attribution.vendor.tokenRole;
    expect(tokenRole).toBeDefined();
    const document = asObject(attribution.props(tokenRole as IConstruct)["AssumeRolePolicyDocument"]);
    const trust = asArray(document["Statement"]).map(asObject);
    expect(trust).toHaveLength(1);
    expect(trust[0]?.["Effect"]).toBe("Allow");
    expect(asArray(trust[0]?.["Action"]).sort()).toEqual(["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]);
    expect(trust[0]?.["Principal"]).toEqual({
      AWS: { "Fn::GetAtt": [attribution.id(attribution.vendor.role), "Arn"] },
    });
    expect(attribution.props(tokenRole as IConstruct)["MaxSessionDuration"]).toBe(3600);
  });

  it("moves the Mantle actions from the API role to the token role", () => {
    const tokenStatements = roleStatements(attribution, attribution.vendor.tokenRole as iam.Role);
    expect(tokenStatements.map((st) => st.sid).sort()).toEqual(["MantleBearerToken", "MantleInference"]);
    expect(statementBySid(tokenStatements, "MantleInference").resources).toEqual(DEFAULT_REGIONS.map(mantleProjectArn));
    const apiActions = roleStatements(attribution, attribution.vendor.role).flatMap((st) => st.actions);
    expect(apiActions.filter((a) => a.startsWith("bedrock-mantle:"))).toEqual([]);
  });

  it("lets the API role assume the token role (set the source identity, tag the session), nothing more", () => {
    const assume = statementBySid(roleStatements(attribution, attribution.vendor.role), "AssumeTokenRole");
    expect(assume.actions.sort()).toEqual(["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"]);
    expect(assume.resources).toEqual([`\${${attribution.id(attribution.vendor.tokenRole as IConstruct)}.Arn}`]);
  });

  it("passes MANTLE_VEND_TOKEN_ROLE_ARN to the API function", () => {
    expect(env(attribution, attribution.vendor.apiFunction)["MANTLE_VEND_TOKEN_ROLE_ARN"]).toBe(
      `\${${attribution.id(attribution.vendor.tokenRole as IConstruct)}.Arn}`,
    );
  });

  it("keeps the refresh function signing with its own role (the token role does not trust it)", () => {
    expect(env(attribution, attribution.vendor.refreshFunction)).not.toHaveProperty("MANTLE_VEND_TOKEN_ROLE_ARN");
    const refreshActions = roleStatements(attribution, attribution.vendor.refreshRole).flatMap((st) => st.actions);
    expect(refreshActions).toContain("bedrock-mantle:CallWithBearerToken");
    expect(refreshActions.filter((a) => a.startsWith("sts:"))).toEqual([]);
  });

  it("creates no token role by default", () => {
    expect(defaults.vendor.tokenRole).toBeUndefined();
    defaults.template.resourceCountIs("AWS::IAM::Role", 2);
  });
});

describe("invalid props throw a clear error at synth time", () => {
  const cases: Array<[string, MantleVendStackProps, RegExp]> = [
    ["prefix without leading slash", { parameterPrefix: "mantle-vend" }, /must start with "\/"/],
    ["prefix with trailing slash", { parameterPrefix: "/mantle-vend/" }, /must not end with "\/"/],
    ["prefix with a space", { parameterPrefix: "/mantle vend" }, /may only contain/],
    ["prefix with an empty level", { parameterPrefix: "/a//b" }, /may only contain/],
    ["prefix reserved by AWS", { parameterPrefix: "/aws/mine" }, /must not begin with "aws" or "ssm"/],
    ["prefix too deep", { parameterPrefix: `/${Array.from({ length: 13 }, (_, i) => `l${i}`).join("/")}` }, /levels/],
    ["maxTtl over 12 h", { maxTtl: Duration.hours(13) }, /maxTtl must be at most 12 hours/],
    ["defaultTtl under 60 s", { defaultTtl: Duration.seconds(30) }, /defaultTtl must be at least 60 s/],
    ["defaultTtl above maxTtl", { defaultTtl: Duration.hours(2), maxTtl: Duration.hours(1) }, /must not exceed maxTtl/],
    ["fractional-second TTL", { defaultTtl: Duration.millis(90_500) }, /whole number of seconds/],
    ["no regions", { regions: [] }, /regions must not be empty/],
    ["malformed region", { regions: ["Mars-1"] }, /not a valid AWS region/],
    ["duplicate region", { regions: ["us-east-1", "us-east-1"] }, /listed twice/],
    ["refresh interval not whole minutes", { catalogRefreshInterval: Duration.seconds(90) }, /whole number of minutes/],
    ["refresh interval under a minute", { catalogRefreshInterval: Duration.seconds(30) }, /at least 1/],
    ["refresh interval over 7 days", { catalogRefreshInterval: Duration.days(8) }, /at most 7 days/],
    ["zero reserved concurrency", { reservedConcurrency: 0 }, /reservedConcurrency must be a positive integer/],
    ["fractional reserved concurrency", { reservedConcurrency: 1.5 }, /reservedConcurrency must be a positive integer/],
    ["login issuer over plain http", { login: { issuer: "http://idp.example.com", clientId: "c" } }, /login\.issuer must be https/],
    ["login issuer on loopback (the Lambda never calls it)", { login: { issuer: "http://127.0.0.1:8080", clientId: "c" } }, /login\.issuer is plain http to a loopback host/],
    ["login client id with a space", { login: { issuer: "https://idp.example.com", clientId: "a b" } }, /login\.clientId must be 1-256 visible ASCII/],
    ["login scopes without openid", { login: { issuer: "https://idp.example.com", clientId: "c", scopes: ["email"] } }, /login\.scopes must be OAuth scopes including openid/],
    ["a login issuer without a client id (context parts)", { loginIssuer: "https://idp.example.com" }, /"loginIssuer" and "loginClientId" go together/],
    [
      "attribution with maxTtl over the 1 h role-chaining cap",
      { perKeyAttribution: true, maxTtl: Duration.hours(2), defaultTtl: Duration.hours(1) },
      /perKeyAttribution, maxTtl must be at most 1 hour/,
    ],
  ];

  it.each(cases)("rejects %s", (_name, props, message) => {
    expect(() => new MantleVendStack(new App(), "Invalid", props)).toThrow(message);
  });

  it("names the construct in the message", () => {
    expect(() => new MantleVendStack(new App(), "Invalid", { maxTtl: Duration.hours(24) })).toThrow(/^MantleTokenVendor: /);
  });
});

// ---------------------------------------------------------------------------------------------
// cdk-nag
// ---------------------------------------------------------------------------------------------

interface Acknowledgment {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
  readonly scope: IConstruct;
}

function acknowledgments(root: IConstruct): Acknowledgment[] {
  const found: Acknowledgment[] = [];
  for (const c of root.node.findAll()) {
    for (const entry of c.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [key, reason] of Object.entries(entry.data as Record<string, unknown>)) {
        found.push({ path: c.node.path, id: key.replace(/^annotation::/i, ""), reason: String(reason), scope: c });
      }
    }
  }
  return found;
}

/** The IAM5 findings cdk-nag would raise for each CfnResource under `scope`, ignoring acknowledgments. */
function rawIam5Findings(scope: IConstruct): Set<string> {
  const findings = new Set<string>();
  for (const c of scope.node.findAll()) {
    if (!(c instanceof CfnResource)) continue;
    const result = rules.iam.IAMNoWildcardPermissions(c);
    if (Array.isArray(result)) for (const f of result) findings.add(`AwsSolutions-IAM5[${f}]`);
    else if (result === NagRuleCompliance.NON_COMPLIANT) findings.add("AwsSolutions-IAM5");
  }
  return findings;
}

describe("cdk-nag AwsSolutionsChecks passes with documented, finding-specific acknowledgments", () => {
  it("reports no unsuppressed errors or warnings for the default, custom and attribution stacks", () => {
    for (const s of [defaults, custom, noSchedule, attribution, noLimits]) {
      const report = new AwsSolutionsChecks(s.app).validateScope(s.app);
      const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(", ")}`);
      expect(findings).toEqual([]);
      expect(report.success).toBe(true);
    }
  });

  it("runs as a CDK validation plugin: synthesis with the plugin registered succeeds and reports nothing", () => {
    const outdir = mkdtempSync(join(tmpdir(), "mantle-vend-nag-"));
    outdirs.push(outdir);
    // Bundling is irrelevant to the checks; skipping it keeps this synthesis fast.
    const app = new App({ outdir, context: { "aws:cdk:bundling-stacks": [] } });
    new MantleVendStack(app, "MantleVendStack", { perKeyAttribution: true });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")) as {
      pluginReports: Array<{ violations?: unknown[] }>;
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  });

  it("fails on an unacknowledged finding (the check can fail)", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new Stack(app, "Bad");
    new iam.Role(stack, "Wide", {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      inlinePolicies: {
        Wide: new iam.PolicyDocument({ statements: [new iam.PolicyStatement({ actions: ["s3:*"], resources: ["*"] })] }),
      },
    });
    const report = new AwsSolutionsChecks(app).validateScope(app);
    expect(report.success).toBe(false);
    expect(report.violations.map((v) => v.ruleName)).toEqual(
      expect.arrayContaining(["AwsSolutions-IAM5[Action::s3:*]", "AwsSolutions-IAM5[Resource::*]"]),
    );
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5/);
  });

  it("gives every acknowledgment a reason and targets single IAM5 findings on roles, or the limits table's one DDB3", () => {
    for (const s of [defaults, attribution]) {
      const acks = acknowledgments(s.app);
      expect(acks.length).toBeGreaterThan(0);
      for (const ack of acks) {
        expect(ack.reason.trim().length, `${ack.path} ${ack.id}`).toBeGreaterThanOrEqual(40);
        if (ack.id === "AwsSolutions-DDB3") {
          // Point-in-time recovery, on the one table, which holds counters only.
          expect(ack.scope).toBe(s.vendor.limitsTable);
          continue;
        }
        expect(ack.id, ack.path).toMatch(/^AwsSolutions-IAM5\[(Action|Resource)::.+\]$/);
        expect(ack.scope, `${ack.id} sits on a role`).toBeInstanceOf(iam.Role);
      }
    }
    expect(acknowledgments(noLimits.app).map((ack) => ack.id)).not.toContain("AwsSolutions-DDB3");
  });

  it("acknowledges only findings that actually exist on the acknowledged role", () => {
    for (const s of [defaults, custom, attribution]) {
      for (const ack of acknowledgments(s.app).filter((each) => each.id !== "AwsSolutions-DDB3")) {
        expect(rawIam5Findings(ack.scope), `${ack.path}: ${ack.id}`).toContain(ack.id);
      }
    }
  });

  it("leaves the API role's acknowledgments free of Mantle wildcards in attribution mode", () => {
    const apiAcks = acknowledgments(attribution.vendor.role).map((a) => a.id);
    expect(apiAcks.some((id) => id.includes("bedrock-mantle"))).toBe(false);
  });
});

describe("`npx cdk synth` runs offline without Docker", () => {
  it("exits 0 and writes the MantleVendStack template", async () => {
    const outdir = mkdtempSync(join(tmpdir(), "mantle-vend-cdk-"));
    outdirs.push(outdir);
    const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        "npx",
        ["--no-install", "cdk", "synth", "--quiet", "--no-notices", "-o", outdir],
        {
          cwd: REPO_ROOT,
          timeout: 120_000,
          maxBuffer: 16 * 1024 * 1024,
          // Telemetry and notices would otherwise try the network.
          env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: "true", CI: "true" },
        },
        (error, _stdout, stderr) => resolve({ code: error ? (typeof error.code === "number" ? error.code : 1) : 0, stderr }),
      );
    });
    expect(result.code, result.stderr).toBe(0);
    expect(readdirSync(outdir)).toContain("MantleVendStack.template.json");
    const template = JSON.parse(readFileSync(join(outdir, "MantleVendStack.template.json"), "utf8")) as JsonObject;
    const types = Object.values(asObject(template["Resources"])).map((r) => asObject(r)["Type"]);
    expect(types.filter((t) => t === "AWS::Lambda::Function")).toHaveLength(2);
    const report = JSON.parse(readFileSync(join(outdir, "validation-report.json"), "utf8")) as {
      pluginReports: Array<{ violations?: unknown[] }>;
    };
    expect(report.pluginReports.flatMap((r) => r.violations ?? [])).toEqual([]);
  }, 150_000);
});
