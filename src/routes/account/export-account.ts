import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { EXPORT_PAGE_SIZE, userDataPages } from "../../db/account";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import type { CursorPosition } from "../../db/cursor";
import type { User } from "../../db/schema";
import { findUserById, publicUser } from "../../db/users";
import { ApiError } from "../../errors";
import { jsonArrayByPages, jsonStream, pagesOf } from "../../services/json-stream";
import { apiKeyView } from "../api-keys/api-key-view";
import { auditEventView } from "../audit/audit-view";
import { defineEndpoint } from "../endpoint";
import { imageView } from "../images/image-view";
import { passkeyView } from "../passkeys/passkey-view";
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
  user_identities: "identities",
  oauth_states: "identityLinkFlows",
  passkeys: "passkeys",
  sign_in_countries: "signInCountries",
} as const;

/**
 * Tables with no row about a person: team names (exported with memberships), Stripe event ids,
 * the order of each Stripe subscription's events (keyed by Stripe's subscription id, no user id),
 * and invitation sends (a team id and the SHA-256 of an invited address, kept at most a day or
 * so for the invitation caps; nothing in them names the user).
 */
export const tablesWithoutUserData = [
  "teams",
  "stripe_events",
  "stripe_subscriptions",
  "invitation_sends",
  // Random WebAuthn challenges that live 5 minutes (a registration one names its user only to be
  // usable by them alone; it goes with the account, and the retention run deletes it when expired).
  "passkey_challenges",
] as const;

const iso = (date: Date | null) => date?.toISOString() ?? null;

export const exportAccount = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "exportAccount",
    path: "/v1/account/export",
    tags: ["account"],
    summary: "Everything held about the caller, as one JSON attachment (GDPR access and portability)",
    responses: {
      200: {
        description: "The export, streamed section by section (each list read in pages of 500 rows)",
        // A plain schema, not zod: the body is a stream of JSON text, not an object passed to c.json.
        content: { "application/json": { schema: { type: "object", additionalProperties: true } } },
      },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, sessionPrincipalOf(c).userId);
    if (!user) throw new ApiError("not_found");
    // Audited before the first byte: the export is handed out once the response starts.
    await recordAuditEvent(db, auditContext(c), { type: "account.exported", userId: user.id });
    const body = c.body(jsonStream(exportDocument(userDataPages(db, user), user)), 200, {
      "Content-Type": "application/json; charset=utf-8",
      "Content-Disposition": `attachment; filename="imagebot-export-${user.id}.json"`,
    });
    // The route's types expect c.json, which needs the whole object in memory first: the body is
    // the same JSON, written as a stream, so the typed response is asserted, not built.
    return body as never;
  },
});

type UserDataPages = ReturnType<typeof userDataPages>;
type PagedRow<Section extends keyof UserDataPages> = Awaited<ReturnType<UserDataPages[Section]>>[number];

/** A section of rows that carry their own time and id, written page by page. */
function section<Row extends { createdAt: Date; id: string }>(
  page: (after: CursorPosition | undefined) => Promise<Row[]>,
  view: (row: Row) => unknown,
) {
  return jsonArrayByPages(
    { page, pageSize: EXPORT_PAGE_SIZE, positionOf: (row) => ({ createdAt: row.createdAt, id: row.id }) },
    view,
  );
}

/** Each collection with its image ids, both read page by page. */
async function* collectionsSection(pages: UserDataPages): AsyncGenerator<string> {
  yield "[";
  let separator = "";
  const collectionPages = {
    page: pages.collections,
    pageSize: EXPORT_PAGE_SIZE,
    positionOf: (row: PagedRow<"collections">) => ({ createdAt: row.createdAt, id: row.id }),
  };
  for await (const rows of pagesOf(collectionPages)) {
    for (const row of rows) {
      const fields = JSON.stringify({
        id: row.id,
        name: row.name,
        teamId: row.teamId,
        createdAt: iso(row.createdAt),
        updatedAt: iso(row.updatedAt),
      });
      // The object's closing brace is left open for its image ids.
      yield `${separator}${fields.slice(0, -1)},"imageIds":`;
      yield* jsonArrayByPages(
        {
          page: (after: string | undefined) => pages.collectionImageIds(row.id, after),
          pageSize: EXPORT_PAGE_SIZE,
          positionOf: (entry) => entry.imageId,
        },
        (entry) => entry.imageId,
      );
      yield "}";
      separator = ",";
    }
  }
  yield "]";
}

/**
 * The export document, one JSON object written section after section (the same shape as a
 * whole-object response). Every list is read EXPORT_PAGE_SIZE rows at a time with a keyset
 * cursor, so neither a query nor the Worker's memory grows with the account. The pages are read
 * one after another, not in one snapshot: a row written during the export may or may not be in it.
 */
async function* exportDocument(pages: UserDataPages, user: User): AsyncGenerator<string> {
  const head = {
    exportedAt: new Date().toISOString(),
    user: {
      ...publicUser(user),
      rateLimitPerMinute: user.rateLimitPerMinute,
      hasPassword: user.hasPassword,
      updatedAt: iso(user.updatedAt),
    },
  };
  yield JSON.stringify(head).slice(0, -1);
  yield ',"sessions":';
  yield* section(pages.sessions, (row) => ({
    id: row.id,
    createdAt: iso(row.createdAt),
    lastSeenAt: iso(row.lastSeenAt),
    expiresAt: iso(row.expiresAt),
    revokedAt: iso(row.revokedAt),
    ip: row.ip,
    userAgent: row.userAgent,
  }));
  yield ',"apiKeys":';
  yield* section(pages.apiKeys, apiKeyView);
  // Names and dates, as the passkeys page shows them: the public key and counter identify nothing.
  yield ',"passkeys":';
  yield* section(pages.passkeys, passkeyView);
  // One row per country seen in the last 30 days (a few hundred at most: no paging needed).
  yield ',"signInCountries":';
  yield JSON.stringify(
    (await pages.signInCountries()).map((row) => ({ country: row.country, lastSeenAt: iso(row.lastSeenAt) })),
  );
  yield ',"images":';
  yield* section(pages.images, (row) => ({ ...imageView(row), deletedAt: iso(row.deletedAt) }));
  yield ',"collections":';
  yield* collectionsSection(pages);
  yield ',"comments":';
  yield* section(pages.comments, (row) => ({
    id: row.id,
    imageId: row.imageId,
    body: row.body,
    createdAt: iso(row.createdAt),
  }));
  yield ',"teamMemberships":';
  yield* jsonArrayByPages(
    {
      page: pages.memberships,
      pageSize: EXPORT_PAGE_SIZE,
      positionOf: (row) => ({ createdAt: row.joinedAt, id: row.teamId }),
    },
    (row) => ({ ...row, joinedAt: iso(row.joinedAt) }),
  );
  yield ',"invitations":';
  yield* section(pages.invitations, (row) => ({
    id: row.id,
    teamId: row.teamId,
    role: row.role,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    acceptedAt: iso(row.acceptedAt),
  }));
  yield ',"licenses":';
  yield* section(pages.licenses, (row) => ({
    id: row.id,
    imageId: row.imageId,
    stripeCheckoutSessionId: row.stripeCheckoutSessionId,
    stripePaymentIntentId: row.stripePaymentIntentId,
    createdAt: iso(row.createdAt),
  }));
  yield ',"auditEvents":';
  yield* section(pages.auditEvents, auditEventView);
  // Subjects and dates only: a body can carry a still-valid reset or invitation link.
  yield ',"mails":';
  yield* section(pages.mails, (row) => ({
    id: row.id,
    subject: row.subject,
    status: row.status,
    createdAt: iso(row.createdAt),
  }));
  // The provider accounts that sign the user in, and link flows under way (never a state's hash).
  yield ',"identities":';
  yield* section(pages.identities, (row) => ({
    id: row.id,
    provider: row.provider,
    subject: row.subject,
    email: row.email,
    createdAt: iso(row.createdAt),
  }));
  yield ',"identityLinkFlows":';
  yield* section(pages.identityLinkFlows, (row) => ({
    provider: row.provider,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
  }));
  // Whether 2FA is on and its codes' state: never the secret or a code.
  const [mfa] = await pages.twoFactor();
  yield `,"twoFactor":${JSON.stringify({ enabled: Boolean(mfa?.enabledAt), enabledAt: iso(mfa?.enabledAt ?? null) }).slice(0, -1)}`;
  yield ',"backupCodes":';
  yield* section(pages.backupCodes, (row) => ({ id: row.id, createdAt: iso(row.createdAt), usedAt: iso(row.usedAt) }));
  yield "}";
  yield ',"passwordResets":';
  yield* section(pages.passwordResets, (row) => ({
    id: row.id,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    usedAt: iso(row.usedAt),
  }));
  // The addresses links were mailed to and their dates: never a token's hash.
  yield ',"emailVerifications":';
  yield* section(pages.emailVerifications, (row) => ({
    id: row.id,
    email: row.email,
    createdAt: iso(row.createdAt),
    expiresAt: iso(row.expiresAt),
    usedAt: iso(row.usedAt),
  }));
  yield "}";
}
