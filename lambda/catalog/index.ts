/** The model catalog: upstream parsing, SSM storage, the live fetch and the read-through service. */
export { CatalogError, CatalogTooLargeError, CatalogUnavailableError, InconsistentCatalogError, UpstreamError, UpstreamTooLargeError } from "./errors.js";
export { REASONING_MARKERS, isReasoningModel, type Catalog, type CatalogModel } from "./models.js";
export { CatalogService, type LiveModels, type RefreshOutcome, type ServedCatalog, type Sleep } from "./service.js";
export { CatalogStore } from "./store.js";
export { fetchUpstreamModels, liveModelsFromMantle, type Fetch, type LiveModelsOptions, type TimeoutSignal } from "./upstream.js";
