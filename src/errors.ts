import type { ContentfulStatusCode } from "hono/utils/http-status";

/**
 * The one error table of the public contract (../shared/API.md, "Errors"). Code throws
 * `new ApiError(code)`; only the error handler turns it into an RFC 9457 problem response.
 */
export const errorTable = {
  validation_failed: { status: 400, title: "Bad Request" },
  invalid_token: { status: 400, title: "Bad Request" },
  unauthorized: { status: 401, title: "Unauthorized" },
  invalid_credentials: { status: 401, title: "Unauthorized" },
  forbidden: { status: 403, title: "Forbidden" },
  ip_not_allowed: { status: 403, title: "Forbidden" },
  ip_blocked: { status: 403, title: "Forbidden" },
  quota_exceeded: { status: 403, title: "Forbidden" },
  email_unverified: { status: 403, title: "Forbidden" },
  csrf_failed: { status: 403, title: "Forbidden" },
  password_reset_required: { status: 403, title: "Forbidden" },
  not_found: { status: 404, title: "Not Found" },
  method_not_allowed: { status: 405, title: "Method Not Allowed" },
  conflict: { status: 409, title: "Conflict" },
  email_taken: { status: 409, title: "Conflict" },
  payload_too_large: { status: 413, title: "Content Too Large" },
  unsupported_media_type: { status: 415, title: "Unsupported Media Type" },
  account_locked: { status: 423, title: "Locked" },
  rate_limited: { status: 429, title: "Too Many Requests" },
  too_many_attempts: { status: 429, title: "Too Many Requests" },
  internal_error: { status: 500, title: "Internal Server Error" },
  server_misconfigured: { status: 500, title: "Internal Server Error" },
  unavailable: { status: 503, title: "Service Unavailable" },
} as const satisfies Record<string, { status: ContentfulStatusCode; title: string }>;

export type ErrorCode = keyof typeof errorTable;

export interface FieldError {
  path: string;
  message: string;
}

export const defaultDetails: Record<ErrorCode, string> = {
  validation_failed: "The request does not match the schema.",
  invalid_token: "The token is unknown, used or expired.",
  unauthorized: "A valid credential is required.",
  invalid_credentials: "The email or password is wrong.",
  forbidden: "You are not allowed to do this.",
  quota_exceeded: "The account's image storage quota is used up.",
  ip_not_allowed: "This credential may not be used from your address.",
  ip_blocked: "Requests from your address are blocked.",
  email_unverified: "Verify your email address first: open the link we mailed you, or ask for a new one.",
  csrf_failed: "A request made with the session cookie needs the X-CSRF-Token header and this site's Origin.",
  password_reset_required:
    "This account's password must be reset before it can be used again: open the link we mailed you, or ask for a new one.",
  not_found: "No such resource.",
  method_not_allowed: "This path does not serve that method.",
  conflict: "The request conflicts with the current state.",
  email_taken: "An account with this email already exists.",
  payload_too_large: "The request body is larger than 64 KiB.",
  unsupported_media_type: "Request bodies must be application/json.",
  account_locked: "The account is locked after repeated failed logins.",
  rate_limited: "Too many requests.",
  too_many_attempts: "Too many failed login attempts.",
  internal_error: "Something went wrong on our side.",
  server_misconfigured: "The service is not configured correctly.",
  unavailable: "The service is temporarily unavailable.",
};

export interface ApiErrorOptions {
  detail?: string;
  errors?: FieldError[];
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly title: string;
  readonly detail: string;
  readonly errors: FieldError[] | undefined;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: ApiErrorOptions = {}) {
    const detail = options.detail ?? defaultDetails[code];
    super(detail);
    this.name = "ApiError";
    this.code = code;
    this.status = errorTable[code].status;
    this.title = errorTable[code].title;
    this.detail = detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

/** The RFC 9457 body; `code` and `requestId` are the extension members of API.md. */
export function problemBody(error: ApiError, requestId: string) {
  return {
    type: "about:blank",
    title: error.title,
    status: error.status,
    detail: error.detail,
    code: error.code,
    requestId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}
