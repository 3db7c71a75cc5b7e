import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

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
  },
  (table) => [index("sessions_user_created_idx").on(table.userId, table.createdAt)],
);

/** Append-only: no route updates or deletes a row; only retention and erasure touch them. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    userId: text("user_id"),
    ip: text("ip"),
    requestId: text("request_id"),
    /** JSON object of non-secret facts about the event. */
    metadata: text("metadata", { mode: "json" }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    createdAt: integer("created_at", { mode: "timestamp_ms" }).notNull(),
  },
  (table) => [
    index("audit_user_created_idx").on(table.userId, table.createdAt),
    index("audit_created_idx").on(table.createdAt),
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
  },
  (table) => [index("outbox_to_created_idx").on(table.toAddress, table.createdAt)],
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
