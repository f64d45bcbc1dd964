/** The package version, sent as part of the user agent. Kept in step with package.json (a test checks). */
export const VERSION = "0.1.0";
