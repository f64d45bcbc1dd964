import { Logger } from "@aws-lambda-powertools/logger";

/** What the service needs of a logger; a Powertools Logger in production and tests. */
export type Log = Pick<Logger, "debug" | "info" | "warn" | "error">;

export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? "mantle-vend" });
}

/** The error's class and message only: SDK errors can carry request detail we never want in a log. */
export function describeError(error: unknown): { errorName: string; errorMessage: string } {
  if (error instanceof Error) return { errorName: error.name, errorMessage: error.message.slice(0, 300) };
  return { errorName: typeof error, errorMessage: "non-error thrown" };
}
