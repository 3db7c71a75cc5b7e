import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { findLiveSession, listLiveSessions } from "../../db/sessions";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";

export const sessionSchema = z
  .object({
    id: z.string(),
    createdAt: z.iso.datetime(),
    lastSeenAt: z.iso.datetime(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    current: z.boolean(),
    /** `cookie`: held by a browser in the httpOnly session cookie; `bearer`: a token the client keeps. */
    kind: z.enum(["bearer", "cookie"]),
    /** What proved the user at sign-in: `password`, `totp`, `backup_code`, `passkey`, `oauth:<provider>`. */
    signInMethod: z.string(),
  })
  .meta({ id: "Session" });

export const listSessions = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "listSessions",
    path: "/v1/sessions",
    tags: ["account"],
    summary: "The user's live sessions, newest first",
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of sessions",
        z.object({ data: z.array(sessionSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const now = new Date();
    const after = cursor ? await findLiveSession(db, principal.userId, cursor, now) : undefined;
    if (cursor && !after) {
      throw new ApiError("validation_failed", { errors: [{ path: "cursor", message: "is not a valid cursor" }] });
    }
    const rows = await listLiveSessions(db, principal.userId, now, { limit: limit + 1, after });
    const page = rows.slice(0, limit);
    return c.json(
      {
        data: page.map((session) => ({
          id: session.id,
          createdAt: session.createdAt.toISOString(),
          lastSeenAt: session.lastSeenAt.toISOString(),
          ip: session.ip,
          userAgent: session.userAgent,
          current: session.id === principal.sessionId,
          kind: session.kind,
          signInMethod: session.signInMethod,
        })),
        nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
      },
      200,
    );
  },
});
