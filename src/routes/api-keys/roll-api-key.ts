import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { apiKeyRevocationUpdate, deleteUnissuedApiKey, findOwnApiKey } from "../../db/api-keys";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { ApiError } from "../../errors";
import { confirmApiKeyRevocation, withUserGuard } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { apiKeyIdParams, apiKeyView, createdApiKeySchema } from "./api-key-view";
import { issueApiKey, mailKeyCreated } from "./issue-api-key";

export const rollApiKeyBodySchema = z.strictObject({
  gracePeriodSeconds: z.int().min(0).max(86_400).default(0),
});

export const rollApiKey = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "rollApiKey",
    path: "/v1/api-keys/{id}/roll",
    tags: ["api-keys"],
    summary:
      "Replace a key with a new one (same name, scopes, allowlist, expiry); the old one dies after the grace period",
    request: { params: apiKeyIdParams, body: jsonBody(rollApiKeyBodySchema) },
    responses: {
      201: jsonResponse("The new key (shown once)", createdApiKeySchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden, or email_unverified (a roll creates a key)"),
      404: problemResponse("not_found"),
      409: problemResponse(
        "conflict: the key is already revoked or expired, or 50 live keys already (one in a grace period counts)",
      ),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const old = await findOwnApiKey(db, principal.userId, c.req.valid("param").id);
    if (!old) throw new ApiError("not_found");
    const now = Date.now();
    if (old.revokedAt || (old.expiresAt && old.expiresAt.getTime() <= now)) {
      throw new ApiError("conflict", { detail: "Only a live key can be rolled." });
    }
    const { gracePeriodSeconds } = c.req.valid("json");
    // The old key counts against the cap while its grace period runs; without one it ends now.
    const replacement = await issueApiKey(
      c,
      {
        userId: principal.userId,
        name: old.name,
        scopes: old.scopes,
        allowedIps: old.allowedIps,
        expiresAt: old.expiresAt,
        rolledFrom: old.id,
      },
      gracePeriodSeconds === 0 ? old.id : undefined,
    );
    const diesAt = now + gracePeriodSeconds * 1000;
    try {
      // The guard first, as for every revocation (see revoke-api-key.ts); then the old key's
      // end and the audit row together. If D1 fails there, the old key's revocation stands in the
      // guard, unconfirmed and so for good (it still works until the grace period ends), and D1
      // still shows it live, so the roll can simply be repeated.
      await withUserGuard(c.env, principal.userId, (guard) => guard.revokeApiKey(old.id, diesAt));
      await db.batch([
        apiKeyRevocationUpdate(db, principal.userId, old.id, new Date(diesAt)),
        auditEventInsert(db, auditContext(c), {
          type: "api_key.rolled",
          userId: principal.userId,
          metadata: { keyId: old.id, newKeyId: replacement.row.id, gracePeriodSeconds },
        }),
      ]);
    } catch (error) {
      // The new key was never shown: it goes, so that it neither lingers nor counts against the cap.
      await deleteUnissuedApiKey(db, principal.userId, replacement.row.id).catch(() => {});
      throw error;
    }
    await confirmApiKeyRevocation(c, principal.userId, old.id, diesAt);
    await mailKeyCreated(c, replacement.ownerEmail, replacement.row);
    return c.json({ ...apiKeyView(replacement.row), key: replacement.key }, 201);
  },
});
