/** The model catalog: upstream parsing, model routes, overrides, SSM storage, the live fetch and the read-through service. */
export {
  CatalogError,
  CatalogTooLargeError,
  CatalogUnavailableError,
  InconsistentCatalogError,
  OverridesError,
  UpstreamError,
  UpstreamTooLargeError,
} from "./errors.js";
export type { Catalog, CatalogModel } from "./models.js";
export { CatalogService, type LiveModels, type RefreshOutcome, type ServedCatalog, type Sleep } from "./service.js";
export { CatalogStore } from "./store.js";
export { OverridesCache, OverridesStore } from "./overrides-store.js";
export {
  checkOverrideEntry,
  checkOverrideKey,
  mergeOverride,
  overrideOf,
  removeOverride,
  type OverrideEntry,
  type Overrides,
  type ServedModel,
} from "./overrides.js";
export {
  apiPath,
  familyTraits,
  parseApiPath,
  FAMILY_RULES,
  FAMILY_RULES_CHECKED,
  MODALITIES,
  MODEL_APIS,
  MANTLE_ROUTES,
  type Modality,
  type ModelApi,
  type MantleRoute,
} from "./routes.js";
export { fetchUpstreamModels, liveModelsFromMantle, type Fetch, type LiveModelsOptions, type TimeoutSignal } from "./upstream.js";
