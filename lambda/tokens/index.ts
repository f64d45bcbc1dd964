/** Minting Mantle bearer tokens and the credential sources that sign them. */
export { attributionCredentialSource, defaultCredentialSource, staticCredentialSource } from "./credentials.js";
export {
  catalogSubject,
  effectiveTtl,
  keySubject,
  mintToken,
  type CredentialSource,
  type MintedToken,
  type SigningCredentials,
  type SigningSubject,
} from "./mint.js";
