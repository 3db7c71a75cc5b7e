import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { collectUserData } from "../../db/account";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { findUserById, publicUser } from "../../db/users";
import { ApiError } from "../../errors";
import { apiKeyView } from "../api-keys/api-key-view";
import { auditEventView } from "../audit/audit-view";
import { defineEndpoint } from "../endpoint";
import { imageView } from "../images/image-view";
import { problemResponse } from "../schemas";

/**
 * Where each D1 table that can hold data about a user appears in the export. A test lists the
 * database's tables and fails when one is in neither this map nor `tablesWithoutUserData`.
 */
export const exportedTables = {
  users: "user",
  sessions: "sessions",
  api_keys: "apiKeys",
  images: "images",
  collections: "collections",
  collection_images: "collections[].imageIds",
  comments: "comments",
  team_members: "teamMemberships",
  team_invitations: "invitations",
  licenses: "licenses",
  audit_log: "auditEvents",
  email_outbox: "mails",
  password_reset_tokens: "passwordResets",
  email_verification_tokens: "emailVerifications",
  user_mfa: "twoFactor",
  mfa_backup_codes: "twoFactor.backupCodes",
} as const;

/**
 * Tables with no row about a person: team names (exported with memberships), Stripe event ids,
 * the order of each Stripe subscription's events (keyed by Stripe's subscription id, no user id),
 * and invitation sends (a team id and the SHA-256 of an invited address, kept at most a day or
 * so for the invitation caps; nothing in them names the user).
 */
export const tablesWithoutUserData = ["teams", "stripe_events", "stripe_subscriptions", "invitation_sends"] as const;

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const exportAccount = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    path: "/v1/account/export",
    tags: ["account"],
    summary: "Everything held about the caller, as one JSON attachment (GDPR access and portability)",
    responses: {
      200: {
        description: "The export",
        content: { "application/json": { schema: z.record(z.string(), z.unknown()) } },
      },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, sessionPrincipalOf(c).userId);
    if (!user) throw new ApiError("not_found");
    const data = await collectUserData(db, user);
    const exported = {
      exportedAt: new Date().toISOString(),
      user: { ...publicUser(user), rateLimitPerMinute: user.rateLimitPerMinute, updatedAt: iso(user.updatedAt) },
      sessions: data.sessionRows.map((row) => ({
        id: row.id,
        createdAt: iso(row.createdAt),
        lastSeenAt: iso(row.lastSeenAt),
        expiresAt: iso(row.expiresAt),
        revokedAt: iso(row.revokedAt),
        ip: row.ip,
        userAgent: row.userAgent,
      })),
      apiKeys: data.keyRows.map(apiKeyView),
      images: data.imageRows.map((row) => ({ ...imageView(row), deletedAt: iso(row.deletedAt) })),
      collections: data.collectionRows.map((row) => ({
        id: row.id,
        name: row.name,
        teamId: row.teamId,
        createdAt: iso(row.createdAt),
        updatedAt: iso(row.updatedAt),
        imageIds: data.collectionImageRows
          .filter((entry) => entry.collectionId === row.id)
          .map((entry) => entry.imageId),
      })),
      comments: data.commentRows.map((row) => ({
        id: row.id,
        imageId: row.imageId,
        body: row.body,
        createdAt: iso(row.createdAt),
      })),
      teamMemberships: data.membershipRows.map((row) => ({ ...row, joinedAt: iso(row.joinedAt) })),
      invitations: data.invitationRows.map((row) => ({
        id: row.id,
        teamId: row.teamId,
        role: row.role,
        createdAt: iso(row.createdAt),
        expiresAt: iso(row.expiresAt),
        acceptedAt: iso(row.acceptedAt),
      })),
      licenses: data.licenseRows.map((row) => ({
        id: row.id,
        imageId: row.imageId,
        stripeCheckoutSessionId: row.stripeCheckoutSessionId,
        stripePaymentIntentId: row.stripePaymentIntentId,
        createdAt: iso(row.createdAt),
      })),
      auditEvents: data.auditRows.map(auditEventView),
      // Subjects and dates only: a body can carry a still-valid reset or invitation link.
      mails: data.outboxRows.map((row) => ({
        id: row.id,
        subject: row.subject,
        status: row.status,
        createdAt: iso(row.createdAt),
      })),
      // Whether 2FA is on and its codes' state: never the secret or a code.
      twoFactor: {
        enabled: Boolean(data.mfaRows[0]?.enabledAt),
        enabledAt: iso(data.mfaRows[0]?.enabledAt ?? null),
        backupCodes: data.backupCodeRows.map((row) => ({
          id: row.id,
          createdAt: iso(row.createdAt),
          usedAt: iso(row.usedAt),
        })),
      },
      passwordResets: data.resetRows.map((row) => ({
        id: row.id,
        createdAt: iso(row.createdAt),
        expiresAt: iso(row.expiresAt),
        usedAt: iso(row.usedAt),
      })),
      // The addresses links were mailed to and their dates: never a token's hash.
      emailVerifications: data.verificationRows.map((row) => ({
        id: row.id,
        email: row.email,
        createdAt: iso(row.createdAt),
        expiresAt: iso(row.expiresAt),
        usedAt: iso(row.usedAt),
      })),
    };
    await recordAuditEvent(db, auditContext(c), { type: "account.exported", userId: user.id });
    return c.json(exported, 200, {
      "Content-Disposition": `attachment; filename="imagebot-export-${user.id}.json"`,
    });
  },
});
