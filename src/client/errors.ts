/** One failed field of a `validation_failed` problem (API.md "Errors"). */
export interface FieldError {
  path: string;
  message: string;
}

/**
 * An RFC 9457 problem the API answered, as a typed error: every call of the client that does not
 * succeed throws one (never returns it), so `catch (error) { if (error instanceof
 * ImageBotApiError && error.code === "rate_limited") ... }` is the one place errors are handled.
 */
export class ImageBotApiError extends Error {
  override readonly name = "ImageBotApiError";
  /** The HTTP status (400, 401, 403, 404, 409, 413, 415, 423, 429, 503 ...). */
  readonly status: number;
  /** The stable machine-readable code from API.md's table (`unauthorized`, `rate_limited` ...). */
  readonly code: string;
  readonly title: string;
  readonly detail: string;
  /** The server's request id (`X-Request-Id`): quote it when reporting a problem. */
  readonly requestId: string;
  /** The failed fields of a `validation_failed` problem; empty otherwise. */
  readonly errors: FieldError[];
  /** Seconds the server asked to wait (`Retry-After`) on a 423, 429 or 503, when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail: string;
    requestId: string;
    errors?: FieldError[];
    retryAfterSeconds?: number | undefined;
  }) {
    super(`${init.status} ${init.code}: ${init.detail}`);
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.errors = init.errors ?? [];
    this.retryAfterSeconds = init.retryAfterSeconds;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;
const text = (value: unknown, fallback: string) => (typeof value === "string" ? value : fallback);

/** Whole seconds from `Retry-After` (delta-seconds or an HTTP date, RFC 9110 §10.2.3); undefined when absent. */
export function retryAfterSecondsOf(response: Response, now = Date.now()): number | undefined {
  const value = response.headers.get("Retry-After")?.trim();
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/**
 * The typed error of a failed response whose body openapi-fetch already read (`body`: parsed JSON,
 * or the raw text when it was not JSON, such as a proxy's HTML page in front of the API).
 */
export function apiErrorOf(response: Response, body: unknown): ImageBotApiError {
  const problem = isRecord(body) ? body : {};
  const errors = Array.isArray(problem.errors)
    ? problem.errors.filter(isRecord).map((entry) => ({ path: text(entry.path, ""), message: text(entry.message, "") }))
    : [];
  return new ImageBotApiError({
    status: response.status,
    code: text(problem.code, "unexpected_response"),
    title: text(problem.title, response.statusText || `HTTP ${response.status}`),
    detail: text(problem.detail, typeof body === "string" && body ? body.slice(0, 200) : ""),
    requestId: text(problem.requestId, response.headers.get("X-Request-Id") ?? ""),
    errors,
    retryAfterSeconds: retryAfterSecondsOf(response),
  });
}
