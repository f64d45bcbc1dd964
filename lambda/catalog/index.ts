/** The model catalog: upstream parsing, SSM storage, the live fetch and the read-through service. */
export { etagMatches, type Catalog, type CatalogModel } from "./models.js";
export { CatalogService, type RefreshOutcome, type ServedCatalog, type Sleep } from "./service.js";
export { CatalogStore } from "./store.js";
export { fetchUpstreamModels, type Fetch } from "./upstream.js";
