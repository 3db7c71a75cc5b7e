import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { countFailedMails } from "../../db/outbox";
import { MINUTE_MS, minuteOf } from "../../domain/security-signals";
import { withSecurityMonitor } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";

const windows = { "15m": 15 * MINUTE_MS, "1h": 60 * MINUTE_MS, "24h": 24 * 60 * MINUTE_MS } as const;

const querySchema = z.object({
  window: z.enum(["15m", "1h", "24h"], { error: "must be 15m, 1h or 24h" }),
});

const countsSchema = z.object({
  signIns: z.int(),
  failedLogins: z.int(),
  lockouts: z.int(),
  twoFactorFailures: z.int(),
  unauthorized: z.int().openapi({ description: "401s: a credential missing or refused" }),
  rateLimited: z.int().openapi({ description: "429s: an address's or a user's budget, a login throttle" }),
  blocked: z.int().openapi({ description: "403 ip_blocked" }),
  keyRejections: z.int(),
});

const summarySchema = z.object({
  window: z.enum(["15m", "1h", "24h"]),
  from: z.iso.datetime().openapi({ description: "Start of the first minute counted" }),
  to: z.iso.datetime().openapi({ description: "End of the current minute" }),
  counts: countsSchema,
  mailDeliveryFailures: z.int().openapi({ description: "Outbox mails created in the window whose delivery failed" }),
  topAddresses: z.array(z.object({ ip: z.string(), failedLogins: z.int() })),
  topNetworks: z.array(z.object({ network: z.string().openapi({ example: "203.0.113.0/24" }), failedLogins: z.int() })),
  topAsns: z.array(z.object({ asn: z.int(), failedLogins: z.int() })),
  topAccounts: z.array(
    z.object({ account: z.string().openapi({ description: "Normalised email" }), failedLogins: z.int() }),
  ),
});

export const adminSecuritySummary = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "get",
    path: "/v1/admin/security/summary",
    operationId: "getSecuritySummary",
    tags: ["operator"],
    summary: "Detect: the security signals of the last 15 minutes, hour or day",
    description:
      "Counts per signal over the window's minutes (the current one included), and the addresses, networks " +
      "(/24, /64), ASNs and accounts behind most failed logins (10 each). Guards report every few seconds, so the " +
      "last seconds may not be counted yet.",
    request: { query: querySchema },
    responses: {
      200: jsonResponse("The summary", summarySchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { window } = c.req.valid("query");
    const now = Date.now();
    const to = minuteOf(now) + MINUTE_MS;
    const from = to - windows[window];
    const db = database(c.env.DB);
    const [summary, mailDeliveryFailures] = await Promise.all([
      withSecurityMonitor(c.env, (monitor) => monitor.summarize(from, to)),
      countFailedMails(db, new Date(from), new Date(to)),
    ]);
    await recordAuditEvent(db, auditContext(c), {
      type: "admin.security_summary_viewed",
      metadata: { by: "operator", window },
    });
    const { counts, top } = summary;
    return c.json(
      {
        window,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        counts: {
          signIns: counts.sign_in,
          failedLogins: counts.failed_login,
          lockouts: counts.lockout,
          twoFactorFailures: counts.mfa_failure,
          unauthorized: counts.unauthorized,
          rateLimited: counts.rate_limited,
          blocked: counts.blocked,
          keyRejections: counts.key_rejection,
        },
        mailDeliveryFailures,
        topAddresses: top.address.map((row) => ({ ip: row.subject, failedLogins: row.failedLogins })),
        topNetworks: top.network.map((row) => ({ network: row.subject, failedLogins: row.failedLogins })),
        topAsns: top.asn.map((row) => ({ asn: Number(row.subject), failedLogins: row.failedLogins })),
        topAccounts: top.account.map((row) => ({ account: row.subject, failedLogins: row.failedLogins })),
      },
      200,
    );
  },
});
