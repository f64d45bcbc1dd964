// Runs one function-URL event through a Lambda bundle in a fresh Node process: a new container.
import { pathToFileURL } from "node:url";

const [bundle, event] = process.argv.slice(2);
const { handler } = await import(pathToFileURL(bundle).href);
const result = await handler(JSON.parse(event));
process.stdout.write(`\n@@result ${JSON.stringify(result)}\n`);
