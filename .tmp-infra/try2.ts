import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MantleVendStack } from "../infra/stack.js";
const outdir = mkdtempSync(join(tmpdir(), "nag-"));
const app = new App({ outdir, context: { "aws:cdk:bundling-stacks": [] } });
new MantleVendStack(app, "S", { perKeyAttribution: true });
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
try { app.synth(); } catch (e) { console.log("THROWN", (e as Error).message.slice(0, 3000)); }
console.log(readdirSync(outdir));
for (const f of readdirSync(outdir)) if (f.includes("valid")) console.log(readFileSync(join(outdir, f), "utf8").slice(0, 6000));
