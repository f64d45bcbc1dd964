/** Milliseconds since the epoch; injected everywhere time matters so tests never wait. */
export type Clock = () => number;
