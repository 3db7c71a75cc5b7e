/**
 * A wait told to a client in whole seconds (`Retry-After`, `RateLimit-Reset`, RFC 9110 §10.2.3):
 * rounded up and never 0, so a client that waits exactly that long is not refused again.
 */
export const toSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));
