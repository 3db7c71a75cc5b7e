import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { developmentOnly } from "../../auth/access";
import { database } from "../../db/client";
import { listOutbox } from "../../db/outbox";
import { defineEndpoint } from "../endpoint";
import { emailSchema, jsonResponse, problemResponse } from "../schemas";

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
    path: "/dev/outbox",
    tags: ["development"],
    summary: "Development only: mails stored by the local mailer, newest first",
    request: {
      query: z.strictObject({
        to: emailSchema.optional(),
        limit: z.coerce.number().int().min(1).max(100).default(50),
      }),
    },
    responses: {
      200: jsonResponse("Mails", z.object({ data: z.array(outboxMailSchema) })),
      404: problemResponse("not_found outside development"),
    },
  }),
  handler: async (c) => {
    const { to, limit } = c.req.valid("query");
    const rows = await listOutbox(database(c.env.DB), { to, limit });
    return c.json(
      {
        data: rows.map((row) => ({
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
