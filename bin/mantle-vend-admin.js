#!/usr/bin/env node
// The admin CLI runs from the repository's TypeScript sources through tsx.
import { register } from "tsx/esm/api";

// On Node 20 the AWS SDK prints a multi-line notice on every run that its releases after January 2027
// need Node 22. Node 20 is supported here (README, "Requirements"); only that notice is switched off,
// through the SDK's own setting, so every other warning still shows.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

register();
const { run } = await import("../lambda/admin/cli.ts");
// exit() rather than exitCode: the SDK's keep-alive sockets would otherwise hold the process open.
process.exit(await run(process.argv.slice(2)));
