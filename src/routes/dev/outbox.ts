import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { developmentOnly } from "../../auth/access";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { listOutbox } from "../../db/outbox";
import { defineEndpoint } from "../endpoint";
import { emailSchema, jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";

export const outboxMailSchema = z
  .object({ id: z.string(), to: z.string(), subject: z.string(), text: z.string(), createdAt: z.iso.datetime() })
  .meta({ id: "OutboxMail" });

/**
 * The local mailbox: what the outbox mailer "sent", so a developer can follow reset links
 * without a mail server. It exists only when ENVIRONMENT=development (404 elsewhere).
 */
export const devOutbox = defineEndpoint({
  access: developmentOnly,
  route: createRoute({
    method: "get",
    operationId: "listDevOutbox",
    path: "/dev/outbox",
    tags: ["development"],
    summary: "Development only: mails stored by the local mailer, newest first",
    request: {
      query: paginationQuerySchema.extend({ to: emailSchema.optional() }),
    },
    responses: {
      200: jsonResponse(
        "A page of mails",
        z.object({ data: z.array(outboxMailSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      404: problemResponse("not_found outside development"),
    },
  }),
  handler: async (c) => {
    const { to, limit, cursor } = c.req.valid("query");
    const rows = await listOutbox(database(c.env.DB), { to, limit: limit + 1, after: decodeCursor(cursor) });
    const page = toPage(rows, limit);
    return c.json(
      {
        nextCursor: page.nextCursor,
        data: page.rows.map((row) => ({
          id: row.id,
          to: row.toAddress,
          subject: row.subject,
          text: row.text ?? "",
          createdAt: row.createdAt.toISOString(),
        })),
      },
      200,
    );
  },
});
