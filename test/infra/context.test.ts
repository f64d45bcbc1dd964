import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Duration, RemovalPolicy } from "aws-cdk-lib";
import { RetentionDays } from "aws-cdk-lib/aws-logs";
import { afterAll, describe, expect, it } from "vitest";
import { CONTEXT_KEYS, propsFromContext, type ContextProps } from "../../infra/context.js";
import { resolveProps, VendorPropsError } from "../../infra/props.js";
import { MANTLE_REGIONS } from "../../lambda/regions.js";
import { REPO } from "../support/checkout.js";

const scratch = mkdtempSync(join(tmpdir(), "mantle-vend-context-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("every MantleTokenVendor prop can be set from CDK context, as -c strings or cdk.json JSON", () => {
  it("parses the -c string form of each prop", () => {
    const props = propsFromContext({
      regions: "us-east-1, us-west-2",
      parameterPrefix: "/team/vend",
      defaultTtl: "15m",
      maxTtl: "3600",
      catalogRefreshInterval: "2h",
      reservedConcurrency: "5",
      logRetention: "90",
      perKeyAttribution: "true",
      logRemovalPolicy: "destroy",
      alarmTopicArn: "arn:aws:sns:us-east-1:123456789012:mantle-vend-alarms",
      loginIssuer: "https://idp.example.com",
      loginClientId: "cli",
      loginScopes: "openid, email",
    });
    expect(props).toMatchObject({ loginIssuer: "https://idp.example.com", loginClientId: "cli", loginScopes: ["openid", "email"] });
    expect(props.regions).toEqual(["us-east-1", "us-west-2"]);
    expect(props.parameterPrefix).toBe("/team/vend");
    expect(props.defaultTtl?.toSeconds()).toBe(900);
    expect(props.maxTtl?.toSeconds()).toBe(3600);
    expect(props.catalogRefreshInterval?.toMinutes()).toBe(120);
    expect(props.reservedConcurrency).toBe(5);
    expect(props.logRetention).toBe(RetentionDays.THREE_MONTHS);
    expect(props.perKeyAttribution).toBe(true);
    expect(props.logRemovalPolicy).toBe(RemovalPolicy.DESTROY);
    expect(props.alarmTopicArn).toBe("arn:aws:sns:us-east-1:123456789012:mantle-vend-alarms");
  });

  it("parses the JSON form of cdk.json, retention by name, and off/null for no schedule", () => {
    const props = propsFromContext({ regions: ["eu-west-1"], maxTtl: 1800, reservedConcurrency: 2, logRetention: "one_year", perKeyAttribution: false, catalogRefreshInterval: null });
    expect(props).toMatchObject({ regions: ["eu-west-1"], reservedConcurrency: 2, logRetention: RetentionDays.ONE_YEAR, perKeyAttribution: false, catalogRefreshInterval: null });
    expect(props.maxTtl?.toSeconds()).toBe(1800);
    expect(propsFromContext({ catalogRefreshInterval: "off" }).catalogRefreshInterval).toBeNull();
    expect(propsFromContext({ logRetention: "INFINITE" }).logRetention).toBe(RetentionDays.INFINITE);
  });

  it("knows exactly the construct's props", () => {
    // Typed by the props, so a prop added to the construct without a context key fails to compile here.
    const all: Required<Record<keyof ContextProps, true>> = {
      regions: true,
      parameterPrefix: true,
      defaultTtl: true,
      maxTtl: true,
      catalogRefreshInterval: true,
      reservedConcurrency: true,
      logRetention: true,
      perKeyAttribution: true,
      logRemovalPolicy: true,
      alarmTopicArn: true,
    fleetLimits: true,
    fleetLimitsFailure: true,
      loginIssuer: true,
      loginClientId: true,
      loginScopes: true,
    };
    expect([...CONTEXT_KEYS].sort()).toEqual(Object.keys(all).sort());
  });

  it("leaves CDK's own context and unrelated keys alone", () => {
    expect(propsFromContext({ "@aws-cdk/core:checkSecretUsage": true, "aws:cdk:enable-path-metadata": true, "cli-telemetry": false, team: "x" })).toEqual({});
  });

  it("a shorter maxTtl alone shortens the default TTL instead of contradicting it", () => {
    const resolved = resolveProps(propsFromContext({ maxTtl: "30m" }));
    expect([resolved.defaultTtlSeconds, resolved.maxTtlSeconds]).toEqual([1800, 1800]);
    expect(resolveProps({ defaultTtl: Duration.minutes(10) }).defaultTtlSeconds).toBe(600);
  });
});

describe("a bad context value or a misspelt key stops synthesis with a message naming it", () => {
  it.each([
    ["maxTtl", "forever", /context "maxTtl": expected a duration/],
    ["defaultTtl", "-5", /context "defaultTtl"/],
    ["catalogRefreshInterval", "hourly", /context "catalogRefreshInterval"/],
    ["reservedConcurrency", "0", /context "reservedConcurrency": expected a positive integer/],
    ["logRetention", "31", /context "logRetention": expected a CloudWatch retention/],
    ["perKeyAttribution", "yes", /context "perKeyAttribution": expected true or false/],
    ["regions", " , ", /context "regions": expected at least one region/],
    ["regions", 42, /context "regions"/],
    ["parameterPrefix", 7, /context "parameterPrefix"/],
  ])("%s = %j", (key, value, message) => {
    expect(() => propsFromContext({ [key]: value })).toThrow(VendorPropsError);
    expect(() => propsFromContext({ [key]: value })).toThrow(message);
  });

  it.each([
    ["perKeyAtribution", "perKeyAttribution"],
    ["per-key-attribution", "perKeyAttribution"],
    ["region", "regions"],
    ["max-ttl", "maxTtl"],
    ["maxTtlSeconds", "maxTtl"],
    ["logretention", "logRetention"],
  ])("unknown key %s: did you mean %s?", (typo, meant) => {
    expect(() => propsFromContext({ [typo]: "x" })).toThrow(`unknown context key "${typo}": did you mean "${meant}"?`);
  });

  it("range checks of the construct name the prop, which is the context key", () => {
    expect(() => resolveProps(propsFromContext({ perKeyAttribution: "true", maxTtl: "2h" }))).toThrow(/with perKeyAttribution, maxTtl must be at most 1 hour/);
    expect(() => resolveProps(propsFromContext({ regions: "us-east-1,mars" }))).toThrow(/"mars" is not a valid AWS region name/);
    expect(() => resolveProps(propsFromContext({ regions: "us-east-1,us-west-9" }))).toThrow(/region "us-west-9" is not a Mantle region \(Mantle serves: us-east-1, /);
  });
});

// ------------------------------------------------------------------------------------------------
// The real CLI: `npx cdk synth -c …` as the README's Deploy section shows it. The CDK CLI may try the
// network (notices, telemetry): both are off, and it runs in a network namespace of its own when the
// machine allows one.

const unshareWorks = (() => {
  try {
    execFileSync("unshare", ["-n", "true"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

interface Synth {
  code: number;
  stderr: string;
  template: () => Template;
}
type Resource = { Type: string; Properties?: Record<string, unknown>; DeletionPolicy?: string };
type Template = { Resources: Record<string, Resource> };

function synth(cwd: string, args: string[]): Promise<Synth> {
  const outdir = mkdtempSync(join(scratch, "out-"));
  const cdk = [join(REPO, "node_modules", ".bin", "cdk"), "synth", "--quiet", "--no-notices", "-o", outdir, ...args];
  const [command, ...rest] = unshareWorks ? ["unshare", "-n", ...cdk] : cdk;
  return new Promise((resolve) => {
    execFile(
      command as string,
      rest,
      { cwd, timeout: 150_000, maxBuffer: 16 * 1024 * 1024, env: { ...process.env, CDK_DISABLE_CLI_TELEMETRY: "true", CI: "true" } },
      (error, _stdout, stderr) =>
        resolve({
          code: error === null ? 0 : typeof error.code === "number" ? error.code : 1,
          stderr,
          template: () => JSON.parse(readFileSync(join(outdir, "MantleVendStack.template.json"), "utf8")) as Template,
        }),
    );
  });
}

const ofType = (template: Template, type: string): Resource[] => Object.values(template.Resources).filter((r) => r.Type === type);
const apiFunction = (template: Template): Resource => {
  const found = Object.entries(template.Resources).find(([id, r]) => r.Type === "AWS::Lambda::Function" && id.includes("Api"));
  if (found === undefined) throw new Error("no API function in the template");
  return found[1];
};
const environment = (fn: Resource): Record<string, unknown> => ((fn.Properties?.["Environment"] as { Variables?: Record<string, unknown> } | undefined)?.Variables ?? {});

describe("npx cdk synth -c … builds the stack the context describes", () => {
  it("regions, attribution, TTL, schedule, retention and concurrency from -c flags", async () => {
    const result = await synth(REPO, [
      "-c", "regions=us-east-1,us-west-2",
      "-c", "perKeyAttribution=true",
      "-c", "maxTtl=30m",
      "-c", "catalogRefreshInterval=off",
      "-c", "logRetention=90",
      "-c", "reservedConcurrency=5",
      "-c", "logRemovalPolicy=destroy",
      "-c", "alarmTopicArn=arn:aws:sns:us-east-1:123456789012:mantle-vend-alarms",
      "-c", "loginIssuer=https://login.microsoftonline.com/tenant-id/v2.0",
      "-c", "loginClientId=11111111-2222-3333-4444-555555555555",
      "-c", "loginScopes=openid email offline_access",
    ]);
    expect(result.code, result.stderr).toBe(0);
    const template = result.template();
    const api = apiFunction(template);
    expect(environment(api)).toMatchObject({ MANTLE_VEND_REGIONS: "us-east-1,us-west-2", MANTLE_VEND_MAX_TTL_SECONDS: "1800", MANTLE_VEND_DEFAULT_TTL_SECONDS: "1800" });
    expect(environment(api)["MANTLE_VEND_TOKEN_ROLE_ARN"]).toBeDefined();
    expect(environment(api)).toMatchObject({
      MANTLE_VEND_LOGIN_ISSUER: "https://login.microsoftonline.com/tenant-id/v2.0",
      MANTLE_VEND_LOGIN_CLIENT_ID: "11111111-2222-3333-4444-555555555555",
      MANTLE_VEND_LOGIN_SCOPES: "openid email offline_access",
    });
    expect(api.Properties?.["ReservedConcurrentExecutions"]).toBe(5);
    expect(ofType(template, "AWS::Events::Rule")).toEqual([]);
    const retention = ofType(template, "AWS::Logs::LogGroup").map((g) => g.Properties?.["RetentionInDays"]);
    expect(retention).toEqual([90, 90]);
    expect(Object.values(template.Resources).filter((r) => r.Type === "AWS::Logs::LogGroup").map((g) => g.DeletionPolicy)).toEqual(["Delete", "Delete"]);
    const alarms = ofType(template, "AWS::CloudWatch::Alarm");
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) expect(alarm.Properties?.["AlarmActions"]).toEqual(["arn:aws:sns:us-east-1:123456789012:mantle-vend-alarms"]);
  }, 160_000);

  it("the same settings from cdk.json's context, as JSON values", async () => {
    const project = mkdtempSync(join(scratch, "project-"));
    writeFileSync(
      join(project, "cdk.json"),
      JSON.stringify({
        app: `${join(REPO, "node_modules", ".bin", "tsx")} ${join(REPO, "infra", "app.ts")}`,
        context: {
          regions: ["eu-west-1"],
          parameterPrefix: "/team/vend",
          catalogRefreshInterval: "15m",
          logRetention: "ONE_WEEK",
          loginIssuer: "https://accounts.google.com",
          loginClientId: "123.apps.googleusercontent.com",
          loginScopes: ["openid", "email"],
        },
      }),
    );
    const result = await synth(project, []);
    expect(result.code, result.stderr).toBe(0);
    const template = result.template();
    expect(environment(apiFunction(template))).toMatchObject({ MANTLE_VEND_REGIONS: "eu-west-1", MANTLE_VEND_PARAMETER_PREFIX: "/team/vend" });
    expect(environment(apiFunction(template))["MANTLE_VEND_TOKEN_ROLE_ARN"]).toBeUndefined();
    expect(environment(apiFunction(template))).toMatchObject({ MANTLE_VEND_LOGIN_ISSUER: "https://accounts.google.com", MANTLE_VEND_LOGIN_SCOPES: "openid email" });
    const [rule] = ofType(template, "AWS::Events::Rule");
    expect(rule?.Properties?.["ScheduleExpression"]).toBe("rate(15 minutes)");
    expect(ofType(template, "AWS::Logs::LogGroup").map((g) => g.Properties?.["RetentionInDays"])).toEqual([7, 7]);
  }, 160_000);

  it.each([
    [["-c", "maxTtl=forever"], `mantle-vend: context "maxTtl": expected a duration such as 3600, 90m, 12h or 1d; got "forever"`],
    [["-c", "regions=us-west-9"], `mantle-vend: MantleTokenVendor: region "us-west-9" is not a Mantle region (Mantle serves: ${MANTLE_REGIONS.join(", ")})`],
  ])("a bad value (%j) fails the synth with one line naming it, not a stack trace", async (args, line) => {
    const result = await synth(REPO, args);
    expect(result.code).not.toBe(0);
    const ours = result.stderr.split("\n").filter((l) => l.startsWith("mantle-vend:"));
    expect(ours).toEqual([line]);
    expect(result.stderr).not.toMatch(/^\s+at /m);
  }, 160_000);
});
