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
export { REASONING_MARKERS, isReasoningModel, type Catalog, type CatalogModel } from "./models.js";
export { CatalogService, type LiveModels, type RefreshOutcome, type ServedCatalog, type Sleep } from "./service.js";
export { CatalogStore } from "./store.js";
export { OverridesCache, OverridesStore, overridesParameter } from "./overrides-store.js";
export {
  checkOverrideEntry,
  checkOverrideKey,
  mergeOverride,
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
  MODEL_ROUTES,
  type Modality,
  type ModelApi,
  type ModelRoute,
} from "./routes.js";
export { fetchUpstreamModels, liveModelsFromMantle, type Fetch, type LiveModelsOptions } from "./upstream.js";
