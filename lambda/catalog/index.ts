/** The model catalog: upstream parsing, SSM storage, the live fetch and the read-through service. */
export { etagMatches, type Catalog, type CatalogModel } from "./models.js";
export { CatalogService, type RefreshOutcome, type ServedCatalog } from "./service.js";
export { CatalogStore } from "./store.js";
export { OverridesCache, OverridesStore, overridesParameter } from "./overrides-store.js";
export {
  checkOverrideEntry,
  checkOverrideKey,
  mergeOverride,
  removeOverride,
  OverridesError,
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
export { fetchUpstreamModels, type Fetch } from "./upstream.js";
