import { retryAfterSecondsOf } from "./errors.ts";

export interface RetryOptions {
  /** Retries after the first attempt (default 2; 0 turns retrying off). */
  maxRetries?: number;
  /**
   * The longest wait the client accepts, in seconds (default 30). A `Retry-After` beyond it is not
   * waited out: the 429 or 503 surfaces at once as an ImageBotApiError with `retryAfterSeconds`.
   */
  maxWaitSeconds?: number;
}

/** Methods HTTP defines as idempotent: sending one twice leaves the server as sending it once. */
const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/**
 * Whether an answer may be retried without risk of doing the work twice.
 * - GET, HEAD, OPTIONS, PUT, DELETE: on 429 and 503 (idempotent: repeating them is safe either way).
 * - POST and PATCH: on 429 only. The API answers 429 (`rate_limited`, `too_many_attempts`) only when
 *   it refused the request before doing anything: admission's per-user and per-IP budgets, the
 *   failed-login throttle, the invitation caps. A 503 `unavailable` is not retried for them: a
 *   Durable Object can be unreachable after part of the work (a logout-all that ended the sessions
 *   but not yet the keys), and the client cannot tell that 503 from one at admission.
 */
export function isRetryable(method: string, status: number): boolean {
  if (status === 429) return true;
  return status === 503 && IDEMPOTENT.has(method.toUpperCase());
}

/** Without `Retry-After` (a 503 from a proxy), a short growing wait: 1 s, 2 s, 4 s ... */
const fallbackWaitSeconds = (attempt: number) => 2 ** attempt;

/** Waits `ms`, or less when the caller aborts the request (its `signal`). */
const sleep = (ms: number, signal: AbortSignal | null) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const abort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", abort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", abort, { once: true });
  });

/**
 * A fetch that retries 429/503 answers as `isRetryable` allows, waiting what `Retry-After` says,
 * at most `maxRetries` times and never longer than `maxWaitSeconds` per wait. `send` is called with
 * a fresh copy of the request for every attempt (a body can be read only once).
 */
export function retryingFetch(
  send: (request: Request) => Promise<Response>,
  { maxRetries = 2, maxWaitSeconds = 30 }: RetryOptions = {},
): (request: Request) => Promise<Response> {
  return async (request) => {
    for (let attempt = 0; ; attempt++) {
      const response = await send(attempt < maxRetries ? request.clone() : request);
      if (attempt >= maxRetries || !isRetryable(request.method, response.status)) return response;
      const waitSeconds = retryAfterSecondsOf(response) ?? fallbackWaitSeconds(attempt);
      if (waitSeconds > maxWaitSeconds) return response;
      await response.body?.cancel();
      await sleep(waitSeconds * 1000, request.signal);
    }
  };
}
