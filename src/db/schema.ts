import { sql } from "drizzle-orm";
import { index, integer, primaryKey, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

// Timestamps are Unix milliseconds (Drizzle maps them to Date); ids are opaque prefixed strings.

export const users = sqliteTable("users", {
  id: text("id").primaryKey(),
  /** Normalised (trimmed, lower-case); unique across all accounts. */
  email: text("email").notNull().unique(),
  name: text("name"),
  passwordHash: text("password_hash").notNull(),
  plan: text("plan", { enum: ["standard", "pro", "enterprise"] })
    .notNull()
    .default("standard"),
  rateLimitPerMinute: integer("rate_limit_per_minute"),
  /** Proved by a mailed link (verification, email change, or password reset); rows before it start false. */
  emailVerified: integer("email_verified", { mode: "boolean" }).notNull().default(false),
  /** An email change waiting for its confirmation link; `email` changes only when the link is used. */
  pendingEmail: text("pending_email"),
  /** Set by the operator (containment): password sign-in is refused until a mailed reset link is used. */
  passwordResetRequired: integer("password_reset_required", { mode: "boolean" }).notNull().default(false),
  /**
   * False for an account created by a sign-in provider: its `password_hash` is then a bcrypt hash
   * of 32 random bytes nobody knows (the column stays NOT NULL, and password checks cost the same
   * and never pass). A password reset sets it back to true. It counts as a way to sign in only
   * when true (API.md: the last way to sign in cannot be removed).
   */
  hasPassword: integer("has_password", { mode: "boolean" }).notNull().default(true),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export const sessions = sqliteTable(
  "sessions",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    /** Written at most once a minute per session, off the response path. */
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
    /** Expiry of the newest token issued for this session (refresh moves it forward). */
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    /** How the client holds the session: a bearer token it keeps, or the httpOnly browser cookie. */
    kind: text("kind", { enum: ["bearer", "cookie"] })
      .notNull()
      .default("bearer"),
    /** What proved the user at sign-in: `password`, `totp`, `backup_code`, `passkey`, `oauth:<provider>`. */
    signInMethod: text("sign_in_method").notNull().default("password"),
  },
  (table) => [index("sessions_user_created_idx").on(table.userId, table.createdAt)],
);

/**
 * Append-only: no route deletes a row, and the only update is the count of an aggregated row
 * (repeated failures, see recordRepeatedFailure); retention and erasure touch the rest.
 */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    userId: text("user_id"),
    /** Set for events of a team, so its owners and admins can read them. */
    teamId: text("team_id"),
    ip: text("ip"),
    requestId: text("request_id"),
    /** JSON object of non-secret facts about the event. */
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    /**
     * Set on a row that counts repeated failures (type, address, account, facts, minute): the
     * unique index lets every repeat in that minute add to the row instead of writing one.
     */
    aggregateKey: text("aggregate_key"),
  },
  (table) => [
    uniqueIndex("audit_aggregate_key_idx").on(table.aggregateKey),
    index("audit_user_created_idx").on(table.userId, table.createdAt),
    index("audit_created_idx").on(table.createdAt),
    index("audit_team_created_idx").on(table.teamId, table.createdAt),
    // The type filter of the audit-log routes reads these instead of scanning a user's history.
    index("audit_user_type_created_idx").on(table.userId, table.type, table.createdAt),
    index("audit_team_type_created_idx").on(table.teamId, table.type, table.createdAt),
    // The operator's search across all users (GET /v1/admin/audit-log) by address or by type.
    index("audit_ip_created_idx").on(table.ip, table.createdAt),
    index("audit_type_created_idx").on(table.type, table.createdAt),
  ],
);

export type User = typeof users.$inferSelect;
export type Session = typeof sessions.$inferSelect;
export type AuditEvent = typeof auditLog.$inferSelect;

/**
 * Every mail the service sends is written here first, so none is lost: delivery happens after,
 * and a failed one stays with its error. Once delivered, the body is erased (it may carry a
 * reset link). Locally (MAIL_TRANSPORT=outbox) this table is the mailbox behind /dev/outbox.
 */
/**
 * A named step that must wait until a mail has left us (the transport accepted it). Kept on the
 * outbox row, so it survives the queue between storing and delivering.
 */
export type MailFollowUp = {
  /** A newer reset link was delivered: void the user's older links and erase their undelivered mails' text. */
  kind: "void_older_reset_links";
  userId: string;
  /** The SHA-256 of the delivered link's token (already in password_reset_tokens): that one stays. */
  keepHash: string;
  /** When the delivered link was issued (Unix ms). */
  issuedAt: number;
};

export const emailOutbox = sqliteTable(
  "email_outbox",
  {
    id: text("id").primaryKey(),
    toAddress: text("to_address").notNull(),
    subject: text("subject").notNull(),
    text: text("text"),
    status: text("status", { enum: ["stored", "sent", "failed"] }).notNull(),
    error: text("error"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    sentAt: integer("sent_at", { mode: "timestamp_ms" }),
    /** When the token in `text` dies (reset, verification, invitation links): its text goes then if undelivered. */
    textExpiresAt: integer("text_expires_at", { mode: "timestamp_ms" }),
    /**
     * What must happen once this mail has left us (src/services/mail-follow-ups.ts), run by the
     * queue consumer after delivery and cleared once done; a redelivered `sent` row runs it if still set.
     */
    followUp: text("follow_up", { mode: "json" }).$type<MailFollowUp>(),
  },
  (table) => [
    index("outbox_to_created_idx").on(table.toAddress, table.createdAt),
    // Retention erases and deletes by age.
    index("outbox_created_idx").on(table.createdAt),
  ],
);

/** Reset tokens are stored only as their SHA-256: a database leak yields no usable token. */
export const passwordResetTokens = sqliteTable(
  "password_reset_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    /** Set when used, or when a newer token voids this one. */
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (table) => [index("reset_tokens_user_idx").on(table.userId)],
);

export type OutboxMail = typeof emailOutbox.$inferSelect;

/**
 * Links that prove an address (sign-up verification, or the confirmation of an email change):
 * stored only as their SHA-256, each bound to the address it was mailed to. A sibling of
 * `password_reset_tokens` rather than a purpose column there, so that no query of either kind
 * can ever accept the other kind's token.
 */
export const emailVerificationTokens = sqliteTable(
  "email_verification_tokens",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The address the link was mailed to, and the one it proves. */
    email: text("email").notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    /** Set when used, or when a newer link, a reset or a change voids this one. */
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
  },
  (table) => [
    index("email_verification_tokens_user_idx").on(table.userId),
    // The per-address mail cap counts an address's links of the last hour.
    index("email_verification_tokens_email_created_idx").on(table.email, table.createdAt),
  ],
);

export const teams = sqliteTable("teams", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  description: text("description"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
});

export const teamMembers = sqliteTable(
  "team_members",
  {
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: text("role", { enum: ["owner", "admin", "member", "viewer"] }).notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [primaryKey({ columns: [table.teamId, table.userId] }), index("team_members_user_idx").on(table.userId)],
);

/** Invitation tokens are stored only as their SHA-256. */
export const teamInvitations = sqliteTable(
  "team_invitations",
  {
    id: text("id").primaryKey(),
    teamId: text("team_id")
      .notNull()
      .references(() => teams.id, { onDelete: "cascade" }),
    email: text("email").notNull(),
    role: text("role", { enum: ["owner", "admin", "member", "viewer"] }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    invitedBy: text("invited_by").references(() => users.id, { onDelete: "set null" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
    acceptedAt: integer("accepted_at", { mode: "timestamp_ms" }),
    /** Set when the invitation dies unused: replaced by a newer one, cancelled, or its address accepted or removed. */
    voidedAt: integer("voided_at", { mode: "timestamp_ms" }),
  },
  (table) => [
    index("invitations_team_idx").on(table.teamId),
    // At most one pending invitation per team and address, whatever the races: a second insert
    // fails rather than leave two live links (the invite route voids the older one first).
    uniqueIndex("invitations_one_pending_idx")
      .on(table.teamId, table.email)
      .where(sql`accepted_at IS NULL AND voided_at IS NULL`),
  ],
);

/**
 * One row per invitation mailed, kept for the rolling 24 h caps (20 per team, 3 per address).
 * It outlives the invitation and its team (no foreign key): deleting a team must not give an
 * address its quota back. It holds the SHA-256 of the address, not the address; retention
 * deletes rows older than a day.
 */
export const invitationSends = sqliteTable(
  "invitation_sends",
  {
    invitationId: text("invitation_id").primaryKey(),
    teamId: text("team_id").notNull(),
    emailHash: text("email_hash").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    index("invitation_sends_team_created_idx").on(table.teamId, table.createdAt),
    index("invitation_sends_email_created_idx").on(table.emailHash, table.createdAt),
    index("invitation_sends_created_idx").on(table.createdAt),
  ],
);

/**
 * An image belongs to its creator (`userId`) and, when `teamId` is set, to that team: the team's
 * roles then decide who may see or change it. Bytes live in R2 under `r2Key`.
 */
export const images = sqliteTable(
  "images",
  {
    id: text("id").primaryKey(),
    /** Null once a team image's creator erased their account: the image stays the team's (a personal one goes with them). */
    userId: text("user_id").references(() => users.id, { onDelete: "set null" }),
    teamId: text("team_id").references(() => teams.id, { onDelete: "cascade" }),
    prompt: text("prompt").notNull(),
    title: text("title"),
    size: text("size", { enum: ["256x256", "512x512", "1024x1024"] }).notNull(),
    contentType: text("content_type").notNull(),
    byteSize: integer("byte_size").notNull(),
    r2Key: text("r2_key").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
    /** Soft delete: hidden at once, restorable for 30 days, then purged with its bytes. */
    deletedAt: integer("deleted_at", { mode: "timestamp_ms" }),
  },
  (table) => [
    index("images_user_created_idx").on(table.userId, table.createdAt),
    index("images_team_created_idx").on(table.teamId, table.createdAt),
    index("images_deleted_idx").on(table.deletedAt),
  ],
);

export const collections = sqliteTable(
  "collections",
  {
    id: text("id").primaryKey(),
    /** Null once a team collection's creator erased their account (as for images). */
    userId: text("user_id").references(() => users.id, { onDelete: "set null" }),
    teamId: text("team_id").references(() => teams.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    updatedAt: integer("updated_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    index("collections_user_created_idx").on(table.userId, table.createdAt),
    index("collections_team_created_idx").on(table.teamId, table.createdAt),
  ],
);

export const collectionImages = sqliteTable(
  "collection_images",
  {
    collectionId: text("collection_id")
      .notNull()
      .references(() => collections.id, { onDelete: "cascade" }),
    imageId: text("image_id")
      .notNull()
      .references(() => images.id, { onDelete: "cascade" }),
    addedAt: integer("added_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.collectionId, table.imageId] }),
    index("collection_images_image_idx").on(table.imageId),
  ],
);

export const comments = sqliteTable(
  "comments",
  {
    id: text("id").primaryKey(),
    imageId: text("image_id")
      .notNull()
      .references(() => images.id, { onDelete: "cascade" }),
    /** Null once the author erased their account: a comment on a team image stays with the image. */
    userId: text("user_id").references(() => users.id, { onDelete: "set null" }),
    body: text("body").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("comments_image_created_idx").on(table.imageId, table.createdAt)],
);

export type Team = typeof teams.$inferSelect;
export type TeamMember = typeof teamMembers.$inferSelect;
export type TeamInvitation = typeof teamInvitations.$inferSelect;
export type Image = typeof images.$inferSelect;
export type Collection = typeof collections.$inferSelect;
export type Comment = typeof comments.$inferSelect;

/**
 * API keys: only the SHA-256 of a key is stored, with a display prefix and its last four
 * characters; the key itself exists only in the creation response.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text("name").notNull(),
    keyHash: text("key_hash").notNull().unique(),
    prefix: text("prefix").notNull(),
    lastFour: text("last_four").notNull(),
    scopes: text("scopes", { mode: "json" }).$type<("read" | "generate" | "manage")[]>().notNull(),
    /** Normalised CIDRs; null means any address. */
    allowedIps: text("allowed_ips", { mode: "json" }).$type<string[] | null>(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
    /** When the key stops working: now for a revocation, later for a roll's grace period. */
    revokedAt: integer("revoked_at", { mode: "timestamp_ms" }),
    /** The key this one replaced when it was rolled. */
    rolledFrom: text("rolled_from"),
  },
  (table) => [index("api_keys_user_created_idx").on(table.userId, table.createdAt)],
);

export type ApiKey = typeof apiKeys.$inferSelect;

/** Image licences bought through Stripe: only Stripe's ids are kept, never card data. */
export const licenses = sqliteTable(
  "licenses",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    imageId: text("image_id").references(() => images.id, { onDelete: "set null" }),
    stripeCheckoutSessionId: text("stripe_checkout_session_id").notNull().unique(),
    stripePaymentIntentId: text("stripe_payment_intent_id"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("licenses_user_created_idx").on(table.userId, table.createdAt)],
);

/** Every Stripe event id processed once: a replayed delivery is recognised and ignored. */
export const stripeEvents = sqliteTable("stripe_events", {
  id: text("id").primaryKey(),
  type: text("type").notNull(),
  receivedAt: integer("received_at", { mode: "timestamp_ms" }).notNull(),
});

/**
 * The last subscription event applied per Stripe subscription (API.md "Webhooks"): Stripe does not
 * deliver events in order, so an event applies only if it is newer (Stripe's `created`) than the
 * one applied last. A deleted subscription is final (Stripe never revives a canceled one). No user
 * id: the rows order Stripe's events and say nothing about a person (the plan lives on the user).
 */
export const stripeSubscriptions = sqliteTable("stripe_subscriptions", {
  id: text("id").primaryKey(),
  /** Stripe's `created` of the last applied event, unix seconds. */
  lastEventCreated: integer("last_event_created").notNull(),
  lastEventId: text("last_event_id").notNull(),
  /** Whether the last applied event granted pro (a tie in `created` never grants over a withdrawal). */
  grantsPro: integer("grants_pro", { mode: "boolean" }).notNull(),
  deleted: integer("deleted", { mode: "boolean" }).notNull(),
});

export type License = typeof licenses.$inferSelect;

/** A user's TOTP secret, encrypted with TOTP_ENCRYPTION_KEY (AES-GCM); enabled once confirmed. */
export const userMfa = sqliteTable("user_mfa", {
  userId: text("user_id")
    .primaryKey()
    .references(() => users.id, { onDelete: "cascade" }),
  secretCiphertext: text("secret_ciphertext").notNull(),
  enabledAt: integer("enabled_at", { mode: "timestamp_ms" }),
  /** The last 30 s time step a code was accepted for: a code is never accepted twice. */
  lastUsedStep: integer("last_used_step"),
  createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
});

/** Backup codes, stored as SHA-256 only, each usable once. */
export const mfaBackupCodes = sqliteTable(
  "mfa_backup_codes",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    codeHash: text("code_hash").notNull().unique(),
    usedAt: integer("used_at", { mode: "timestamp_ms" }),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("mfa_backup_codes_user_idx").on(table.userId)],
);

export type UserMfa = typeof userMfa.$inferSelect;

// ── Sign in with another provider (issue 17: OAuth 2.0 / OpenID Connect) ──────────────────────

/**
 * A sign-in or link flow started at a provider and not yet back (single use, 10 minutes). Only
 * hashes are kept: `state` (which travels in URLs) and the browser-binding cookie's value; the
 * PKCE verifier is derived from that cookie, so this table alone cannot finish a flow.
 */
export const oauthStates = sqliteTable(
  "oauth_states",
  {
    stateHash: text("state_hash").primaryKey(),
    /** SHA-256 of the `__Host-imagebot_oauth` cookie that started the flow. */
    browserHash: text("browser_hash").notNull(),
    provider: text("provider").notNull(),
    /** SHA-256 of the OIDC nonce sent in the authorization request (null for GitHub). */
    nonceHash: text("nonce_hash"),
    /** Set when a signed-in user asked to link the provider to their account. */
    linkUserId: text("link_user_id").references(() => users.id, { onDelete: "cascade" }),
    /** A console path, checked when the flow started. */
    returnTo: text("return_to").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [index("oauth_states_expires_idx").on(table.expiresAt)],
);

/** An account at a provider that signs a user in: one provider account belongs to one user. */
export const userIdentities = sqliteTable(
  "user_identities",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text("provider").notNull(),
    /** The provider's stable id of the account (GitHub's numeric id, the ID token's `sub`). */
    subject: text("subject").notNull(),
    /** The provider-verified email when it was linked (shown in the console, never used to link). */
    email: text("email"),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    uniqueIndex("user_identities_provider_subject_idx").on(table.provider, table.subject),
    index("user_identities_user_created_idx").on(table.userId, table.createdAt),
  ],
);

export type OAuthState = typeof oauthStates.$inferSelect;
export type UserIdentity = typeof userIdentities.$inferSelect;

// ---- Passkeys (issue 17: WebAuthn Level 3, API.md "Passkeys") ----

/**
 * A user's passkeys: the credential's public key (COSE) and its signature counter, never a
 * secret. `credential_id` is the authenticator's id (base64url), unique across all users, so a
 * sign-in finds the one account it names.
 */
export const passkeys = sqliteTable(
  "passkeys",
  {
    id: text("id").primaryKey(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    credentialId: text("credential_id").notNull().unique(),
    /** The COSE public key, base64url. */
    publicKey: text("public_key").notNull(),
    /** The signature counter last seen (0 for authenticators that keep none). */
    counter: integer("counter").notNull(),
    transports: text("transports", { mode: "json" }).$type<string[]>().notNull(),
    name: text("name").notNull(),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
    lastUsedAt: integer("last_used_at", { mode: "timestamp_ms" }),
  },
  (table) => [index("passkeys_user_created_idx").on(table.userId, table.createdAt)],
);

/**
 * WebAuthn challenges, single use and 5 minutes long: a registration challenge belongs to the
 * user who asked for it; a sign-in challenge belongs to nobody and is found by its id only.
 * Consumed with DELETE … RETURNING, so two requests can never both use one.
 */
export const passkeyChallenges = sqliteTable(
  "passkey_challenges",
  {
    id: text("id").primaryKey(),
    purpose: text("purpose", { enum: ["registration", "authentication"] }).notNull(),
    userId: text("user_id").references(() => users.id, { onDelete: "cascade" }),
    challenge: text("challenge").notNull(),
    expiresAt: integer("expires_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    index("passkey_challenges_user_idx").on(table.userId, table.challenge),
    index("passkey_challenges_expires_idx").on(table.expiresAt),
  ],
);

export type Passkey = typeof passkeys.$inferSelect;
export type PasskeyChallenge = typeof passkeyChallenges.$inferSelect;

/**
 * The countries an account signed in from in the last 30 days (Cloudflare's `request.cf.country`):
 * a sign-in from one not listed mails the owner. One row per country (at most ~250 per account),
 * refreshed on each sign-in, deleted by the retention run 30 days after it was last seen, and with
 * the account.
 */
export const signInCountries = sqliteTable(
  "sign_in_countries",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** ISO 3166-1 alpha-2, as Cloudflare gives it (`T1` for Tor, `XX` unknown). */
    country: text("country").notNull(),
    lastSeenAt: integer("last_seen_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    primaryKey({ columns: [table.userId, table.country] }),
    // The retention run deletes by age.
    index("sign_in_countries_last_seen_idx").on(table.lastSeenAt),
  ],
);
