#!/usr/bin/env node
// The admin CLI runs from the repository's TypeScript sources through tsx.
import { register } from "tsx/esm/api";

register();
await import("../lambda/admin/cli.ts");
