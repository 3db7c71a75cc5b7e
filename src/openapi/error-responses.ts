import type { RouteConfig } from "@hono/zod-openapi";
import type { AccessPolicy } from "../auth/access";
import { defaultDetails, type ErrorCode, errorTable } from "../errors";
import { MAX_BODY_BYTES } from "../middleware/body-limits";
import { problemSchema } from "../routes/schemas";

/**
 * Every error response of an operation in /openapi.json, each named with its problem codes: the
 * ones its route declares (`problemResponse("not_found (…)")` names them in its text) and the ones
 * the pipeline in front of every handler can answer for its access policy and body (src/auth/
 * pipeline.ts, src/middleware/body-limits.ts), so a client sees all of them, not just the handler's.
 * Each code is an example of the response (named by the code), so tools and /docs can list them.
 */

type CodeNote = { code: ErrorCode; note: string };

const SAFE_METHODS = new Set(["get", "head", "options"]);
const errorCodes = Object.keys(errorTable) as ErrorCode[];

/** What the request pipeline and the body checks can refuse, for one route. */
export function pipelineErrors(access: AccessPolicy, route: RouteConfig, rawBody: boolean): CodeNote[] {
  const notes: CodeNote[] = [];
  const admitted = access.auth !== "public" || !access.unmetered;
  if (access.auth === "development") notes.push({ code: "not_found", note: "outside development" });
  if (access.auth === "operator") {
    notes.push({ code: "unauthorized", note: "no ADMIN_TOKEN bearer, or a wrong one" });
  }
  if (access.auth === "session" || access.auth === "session_or_key") {
    notes.push(
      { code: "unauthorized", note: "no credential, or a malformed, expired, revoked or forged one" },
      { code: "ip_not_allowed", note: "an API key used from outside its allowlist" },
      {
        code: "forbidden",
        note:
          access.auth === "session"
            ? "an API key: this route takes a session only"
            : `an API key without the \`${access.scope}\` scope`,
      },
    );
    if (!SAFE_METHODS.has(route.method)) {
      notes.push({ code: "csrf_failed", note: "the session cookie without X-CSRF-Token, or from a foreign Origin" });
    }
  }
  if (admitted) {
    notes.push(
      { code: "ip_blocked", note: "the client IP is blocked by the operator" },
      { code: "rate_limited", note: "over the caller's request budget (Retry-After)" },
      { code: "unavailable", note: "a guard could not be reached: the request is refused, never let through" },
    );
  }
  if (!rawBody) {
    notes.push({
      code: "validation_failed",
      note: route.request?.body
        ? "the body, query or path fail the schema, or name an unknown field"
        : "bad query or path, or a body with any field",
    });
  }
  if (route.request?.body || rawBody) {
    notes.push(
      { code: "payload_too_large", note: `a body over ${MAX_BODY_BYTES / 1024} KiB` },
      { code: "unsupported_media_type", note: "a body that is not application/json" },
    );
  }
  return notes;
}

/** The codes a route's own `problemResponse` names in its text, for this status only. */
function declaredCodes(description: string, status: number): ErrorCode[] {
  return errorCodes.filter(
    (code) => errorTable[code].status === status && new RegExp(`(^|[^a-z_])${code}([^a-z_]|$)`).test(description),
  );
}

function isOnlyCodes(description: string): boolean {
  const words = description.split(/[\s,]+/).filter((word) => word !== "" && word !== "or");
  return words.every((word) => word in errorTable);
}

function exampleOf(code: ErrorCode, summary: string) {
  const { status, title } = errorTable[code];
  return {
    summary,
    value: {
      type: "about:blank",
      title,
      status,
      detail: defaultDetails[code],
      code,
      requestId: "req_0123456789abcdef",
      ...(code === "validation_failed" ? { errors: [{ path: "name", message: "is not a known field" }] } : {}),
    },
  };
}

const integerHeader = (description: string) => ({ description, schema: { type: "integer" as const } });

type Headers = Record<string, { description: string; schema: { type: "integer" | "string" } }>;

function headersFor(status: number): Headers | undefined {
  if (status === 401) {
    return { "WWW-Authenticate": { description: 'Bearer realm="imagebot"', schema: { type: "string" as const } } };
  }
  if (status === 423) return { "Retry-After": integerHeader("Seconds until the lock ends") };
  if (status === 429) {
    return {
      "Retry-After": integerHeader("Seconds to wait before trying again"),
      "RateLimit-Limit": integerHeader("The budget of the window"),
      "RateLimit-Remaining": integerHeader("What is left of it"),
      "RateLimit-Reset": integerHeader("Seconds until the window frees a request"),
    };
  }
  return undefined;
}

type Responses = NonNullable<RouteConfig["responses"]>;

function isProblemResponse(response: Responses[string]): response is Responses[string] & { description: string } {
  return (
    typeof response === "object" &&
    response !== null &&
    "content" in response &&
    Boolean(response.content?.["application/problem+json"])
  );
}

/** The route's responses with every error response it can give, each listing its codes. */
export function documentedResponses(access: AccessPolicy, route: RouteConfig, rawBody: boolean): Responses {
  // Per status: the route's own text, and each code with when it happens (the pipeline's note wins).
  const byStatus = new Map<number, { description?: string; notes: Map<ErrorCode, string> }>();
  const entryOf = (status: number) => {
    const entry = byStatus.get(status) ?? { notes: new Map<ErrorCode, string>() };
    byStatus.set(status, entry);
    return entry;
  };
  const responses: Responses = {};
  for (const [status, response] of Object.entries(route.responses)) {
    if (!isProblemResponse(response)) {
      responses[status] = response;
      continue;
    }
    const entry = entryOf(Number(status));
    // A text that only names codes says nothing the list below does not.
    entry.description = isOnlyCodes(response.description) ? undefined : response.description;
    for (const code of declaredCodes(response.description, Number(status))) entry.notes.set(code, defaultDetails[code]);
  }
  for (const { code, note } of pipelineErrors(access, route, rawBody)) {
    const notes = entryOf(errorTable[code].status).notes;
    // A route that refuses by itself too (a team role, a missing re-authentication) keeps saying so.
    notes.set(
      code,
      code === "forbidden" && notes.has(code)
        ? `the route's own rule refuses the caller (a team role, a recent sign-in), or ${note}`
        : note,
    );
  }

  for (const status of [...byStatus.keys()].sort((a, b) => a - b)) {
    const entry = byStatus.get(status);
    if (!entry) continue;
    const notes = [...entry.notes].map(([code, note]) => ({ code, note }));
    const list = notes.map((note) => `- \`${note.code}\`: ${note.note}`).join("\n");
    const title = errorTable[notes[0]?.code ?? "internal_error"].title;
    responses[String(status)] = {
      description: `${entry.description ?? title}\n\nProblem codes:\n${list}`,
      ...(headersFor(status) ? { headers: headersFor(status) } : {}),
      content: {
        "application/problem+json": {
          schema: problemSchema,
          examples: Object.fromEntries(notes.map((note) => [note.code, exampleOf(note.code, note.note)])),
        },
      },
    };
  }
  // Any operation may fail unexpectedly; `default` says how (a generic problem, never a stack trace).
  responses.default = {
    description:
      "An unexpected failure: a generic problem with a request id, never a stack trace.\n\nProblem codes:\n" +
      "- `internal_error`: something went wrong on our side\n- `server_misconfigured`: the deployment lacks a setting",
    content: {
      "application/problem+json": {
        schema: problemSchema,
        examples: {
          internal_error: exampleOf("internal_error", "something went wrong on our side"),
          server_misconfigured: exampleOf("server_misconfigured", "the deployment lacks a setting"),
        },
      },
    },
  };
  return responses;
}
