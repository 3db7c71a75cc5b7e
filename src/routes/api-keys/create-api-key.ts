import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { apiKeyScopes, sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { deleteUnissuedApiKey } from "../../db/api-keys";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { normaliseAllowlistEntry } from "../../domain/ip-allowlist";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, plainText, problemResponse } from "../schemas";
import { apiKeyView, createdApiKeySchema } from "./api-key-view";
import { issueApiKey, mailKeyCreated } from "./issue-api-key";

export const createApiKeyBodySchema = z.strictObject({
  name: plainText({ max: 100, trim: true }),
  scopes: z
    .array(z.enum(apiKeyScopes))
    .min(1)
    .refine((scopes) => new Set(scopes).size === scopes.length, { error: "must not repeat a scope" }),
  expiresAt: z.iso
    .datetime()
    .refine((value) => Date.parse(value) > Date.now(), { error: "must be in the future" })
    .optional(),
  allowedIps: z
    .array(
      z
        .string()
        .max(64)
        .transform((entry, context) => {
          const normalised = normaliseAllowlistEntry(entry);
          if (normalised === null) context.addIssue({ code: "custom", message: "is not an IP address or CIDR range" });
          return normalised ?? "";
        }),
    )
    .min(1)
    .max(50)
    .optional(),
});

export const createApiKey = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "createApiKey",
    path: "/v1/api-keys",
    tags: ["api-keys"],
    summary: "Create an API key; the key is in this response only",
    request: { body: jsonBody(createApiKeyBodySchema) },
    responses: {
      201: jsonResponse("The key (shown once)", createdApiKeySchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden (an API key cannot create keys), or email_unverified"),
      409: problemResponse("conflict: 50 live keys already"),
    },
  }),
  handler: async (c) => {
    const body = c.req.valid("json");
    const principal = sessionPrincipalOf(c);
    const { row, key, ownerEmail } = await issueApiKey(c, {
      userId: principal.userId,
      name: body.name,
      scopes: body.scopes,
      allowedIps: body.allowedIps ?? null,
      expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
      rolledFrom: null,
    });
    const db = database(c.env.DB);
    try {
      await recordAuditEvent(db, auditContext(c), {
        type: "api_key.created",
        userId: principal.userId,
        metadata: { keyId: row.id, scopes: row.scopes },
      });
    } catch (error) {
      // No credential without its audit row: the key was never shown, so it goes.
      await deleteUnissuedApiKey(db, principal.userId, row.id).catch(() => {});
      throw error;
    }
    await mailKeyCreated(c, ownerEmail, row);
    return c.json({ ...apiKeyView(row), key }, 201);
  },
});
