/** The model catalog: upstream parsing, model routes, overrides, SSM storage, the live fetch and the read-through service. */
export {
  CatalogError,
  CatalogTooLargeError,
  CatalogUnavailableError,
  OverridesError,
  UpstreamError,
  UpstreamTooLargeError,
} from "./errors.js";
export { CatalogService } from "./service.js";
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
  MODALITIES,
  MODEL_APIS,
  MANTLE_ROUTES,
  type ModelApi,
  type MantleRoute,
} from "./routes.js";
export { liveModelsFromMantle, type Fetch, type TimeoutSignal } from "./upstream.js";
