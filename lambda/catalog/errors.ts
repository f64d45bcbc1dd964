import { DependencyUnavailableError, ServiceError } from "../errors.js";

/** An upstream answer or a stored catalog that cannot be trusted. */
export class CatalogError extends ServiceError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CatalogError";
  }
}

/**
 * The shards do not match the index (missing, mixed from two versions, or a different
 * payload). A read that still sees this after its one retry throws it.
 */
export class InconsistentCatalogError extends CatalogError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "InconsistentCatalogError";
  }
}

/** A model list too large to serve; its message is written for the caller and names only sizes. */
export class CatalogTooLargeError extends CatalogError {
  constructor(bytes: number, limit: number) {
    super(`the model list is too large to serve: ${bytes} bytes as JSON, over the ${limit}-byte cap that keeps answers under Lambda's 6 MB response limit`);
    this.name = "CatalogTooLargeError";
  }
}

/**
 * A value the catalog overrides cannot hold; the message says which and why. The admin CLI
 * shows it to the operator; in a stored document it makes the service ignore that document.
 */
export class OverridesError extends CatalogError {
  constructor(message: string) {
    super(message);
    this.name = "OverridesError";
  }
}

/** Mantle did not give a usable model list and the region has no catalog to fall back on. */
export class UpstreamError extends ServiceError {
  constructor(region: string, options?: { cause?: unknown }) {
    super(`Mantle did not return a model list for ${region}`, options);
    this.name = "UpstreamError";
  }
}

/** Neither the parameter store nor Mantle (for want of credentials) can produce a catalog, and none is held. */
export class CatalogUnavailableError extends DependencyUnavailableError {
  constructor(options?: { cause?: unknown }) {
    const cause = options?.cause;
    // The store unless the cause says otherwise (credentials for the live fetch, say).
    super("the model catalog cannot be read right now", { ...options, dependency: cause instanceof DependencyUnavailableError ? cause.dependency : "ssm" });
    this.name = "CatalogUnavailableError";
  }
}

/**
 * Mantle's list parsed but is too large to serve, and the region has no catalog to fall back
 * on: the caller is told why, since retrying will not help.
 */
export class UpstreamTooLargeError extends UpstreamError {
  constructor(region: string, cause: CatalogTooLargeError) {
    super(region, { cause });
    this.message = `Mantle's model list for ${region}: ${cause.message}`;
    this.name = "UpstreamTooLargeError";
  }
}
