/** Issuing Mantle bearer tokens to principals: minting, the credential sources that sign them. */
export { attributionCredentialSource, defaultCredentialSource, staticCredentialSource } from "./credentials.js";
export { TokenIssuer, type TokenBody, type TokenRequest } from "./issue.js";
export { mintToken, type CredentialSource, type SigningCredentials } from "./mint.js";
