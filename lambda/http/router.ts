import { HttpError } from "./errors.js";

export type RouteName = "health" | "identity" | "regions" | "tokens" | "models" | "whoami";

interface Route {
  name: RouteName;
  method: string;
}

const ROUTES: Record<string, Route> = {
  "/healthz": { name: "health", method: "GET" },
  "/v1/identity": { name: "identity", method: "GET" },
  "/v1/regions": { name: "regions", method: "GET" },
  "/v1/tokens": { name: "tokens", method: "POST" },
  "/v1/models": { name: "models", method: "GET" },
  "/v1/whoami": { name: "whoami", method: "GET" },
};

/** Resolves a request to a route, or throws the 404/405 the contract orders first. */
export function route(method: string, path: string): Route {
  const found = Object.hasOwn(ROUTES, path) ? ROUTES[path] : undefined;
  if (found === undefined) throw new HttpError(404, "no such route");
  if (method !== found.method) {
    throw new HttpError(405, `${path} accepts ${found.method} only`, { allow: found.method });
  }
  return found;
}
