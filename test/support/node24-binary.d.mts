export declare const NODE24_PACKAGE: string;
export declare const NODE24_VERSION: string;
/** The path of the Node 24 binary, installed first if it is not there yet. */
export declare function ensureNode24(): string;
