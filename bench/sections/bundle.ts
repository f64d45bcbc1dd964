import { statSync } from "node:fs";
import { build, type BuildOptions } from "esbuild";
import { REPO_ROOT, round, type Figure } from "../lib.js";

const KB = 1024;
const TARGET_KB = 150;

/** The options infra/vendor.ts hands NodejsFunction, so the naive bundle is built like ours. */
const LIKE_THE_CONSTRUCT: BuildOptions = {
  bundle: true,
  platform: "node",
  format: "esm",
  minify: true,
  target: "node24",
  mainFields: ["module", "main"],
  external: ["@aws-sdk/*"],
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
  absWorkingDir: REPO_ROOT,
  write: false,
  metafile: true,
  logLevel: "silent",
};

/** "Just the token generator and the Powertools logger" (issue 6's naive bundle). */
const NAIVE_ENTRY = {
  contents: 'export { getToken } from "@aws/bedrock-token-generator";\nexport { Logger } from "@aws-lambda-powertools/logger";\n',
  resolveDir: REPO_ROOT,
  loader: "js" as const,
};

/** Bytes in the output per npm package (or per source directory), largest first. */
async function composition(options: BuildOptions): Promise<Array<[string, number]>> {
  const result = await build({ ...options, outfile: "/dev/null/out.mjs" });
  const output = Object.values(result.metafile?.outputs ?? {})[0];
  const byOwner = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const owner = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split("/").slice(0, -1).join("/");
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + input.bytesInOutput);
  }
  return [...byOwner].sort((a, b) => b[1] - a[1]);
}

async function bundledBytes(options: BuildOptions): Promise<number> {
  const result = await build({ ...options, outfile: "/dev/null/out.mjs" });
  return result.outputFiles?.[0]?.contents.byteLength ?? 0;
}

/**
 * Size of the API function's bundle exactly as the synthesized template ships it, next to a
 * naive bundle of just the token generator and the Powertools logger (same esbuild options).
 */
export async function benchBundle(apiBundle: string): Promise<Figure[]> {
  const ours = statSync(apiBundle).size;
  const naive = await bundledBytes({
    ...LIKE_THE_CONSTRUCT,
    stdin: NAIVE_ENTRY,
  });
  const naiveAllBundled = await bundledBytes({
    ...LIKE_THE_CONSTRUCT,
    external: [],
    stdin: NAIVE_ENTRY,
  });
  const parts = await composition({ ...LIKE_THE_CONSTRUCT, entryPoints: ["lambda/handler.ts"] });
  const detail: Record<string, number> = { "naive bundle with @aws-sdk/* bundled too KB": round(naiveAllBundled / KB, 1) };
  for (const [owner, bytes] of parts.slice(0, 5)) detail[`${owner} KB`] = round(bytes / KB, 1);
  return [
    {
      section: "bundle",
      name: "API bundle, minified",
      value: round(ours / KB, 1),
      unit: "KB",
      baseline: { name: "naive bundle: token generator + Powertools logger", value: round(naive / KB, 1) },
      ratio: round(ours / naive),
      target: { text: `<= ${TARGET_KB} KB`, met: ours / KB <= TARGET_KB },
      detail,
    },
  ];
}
