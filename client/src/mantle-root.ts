/**
 * Mantle serves three API families on one host (docs/catalog.md, "Model routes"). Its root is the
 * region's address, e.g. `https://bedrock-mantle.us-east-1.api.aws`; below it each family has a prefix,
 * its route, and a base URL is `<root><route>`.
 */

/** A Mantle prefix: where a model's API family is served below the root. */
export type MantleRoute = "/v1" | "/openai/v1" | "/anthropic";

/** Longest first, so that `/openai/v1` is not taken for `/v1`. */
const ROUTES: readonly MantleRoute[] = ["/openai/v1", "/anthropic", "/v1"];

/** The route a base URL ends in (`<root>/openai/v1` → `/openai/v1`; trailing slashes ignored), or undefined. */
export function mantleRouteOf(baseUrl: string): MantleRoute | undefined {
  const trimmed = trimSlashes(baseUrl);
  return ROUTES.find((route) => trimmed.endsWith(route));
}

/**
 * The Mantle root of a base URL: without trailing slashes and without the route it ends in
 * (`…/v1`, `…/openai/v1`, `…/anthropic`); a URL that ends in none is the root already.
 */
export function mantleRoot(baseUrl: string): string {
  const trimmed = trimSlashes(baseUrl);
  const route = ROUTES.find((r) => trimmed.endsWith(r));
  return route === undefined ? trimmed : trimmed.slice(0, -route.length);
}

function trimSlashes(url: string): string {
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 0x2f) end--;
  return url.slice(0, end);
}
