import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { findUserByEmail } from "../../db/users";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { withAccountGuard, withIpGuard } from "../../services/guard-client";
import { passwordResetRequestedMail } from "../../services/mail-templates";
import { defineEndpoint } from "../endpoint";
import { emailSchema, jsonBody, jsonResponse, problemResponse } from "../schemas";
import { mailResetLink } from "./reset-link";

export const forgotBodySchema = z.strictObject({ email: emailSchema });

export const forgotResponseSchema = z.object({ status: z.literal("accepted"), message: z.string() });
const ACCEPTED = {
  status: "accepted" as const,
  message: "If an account uses this email, a link to reset its password is on its way.",
};

/** Runs after the response, so an existing account does not answer more slowly than a missing one. */
async function sendResetMail(c: Context<AppEnv>, email: string): Promise<void> {
  try {
    const user = await findUserByEmail(database(c.env.DB), email);
    if (!user) return;
    await mailResetLink(c, user.id, (resetUrl) => passwordResetRequestedMail(user.email, resetUrl));
  } catch (error) {
    console.error(`reset mail not prepared: ${error instanceof Error ? error.name : "unknown"}`);
  }
}

export const passwordForgot = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "forgotPassword",
    path: "/v1/auth/password/forgot",
    tags: ["auth"],
    summary: "Mail a password-reset link (the same answer whether or not the email has an account)",
    description:
      "At most 10 requests per IP in any rolling hour (429 too_many_attempts) and at most 3 mails per email per " +
      "hour (further requests are accepted but send nothing).",
    request: { body: jsonBody(forgotBodySchema) },
    responses: {
      202: jsonResponse("Accepted", forgotResponseSchema),
      400: problemResponse("validation_failed"),
      429: problemResponse("too_many_attempts"),
    },
  }),
  handler: async (c) => {
    const { email } = c.req.valid("json");
    const perIp = await withIpGuard(c.env, c.get("clientIp"), (guard) => guard.admitResetRequest());
    if (!perIp.admitted) {
      throw new ApiError("too_many_attempts", { headers: { "Retry-After": String(perIp.retryAfterSeconds) } });
    }
    // The per-email cap is kept by the account guard, which exists for every email alike.
    const perEmail = await withAccountGuard(c.env, email, (guard) => guard.admitResetMail());
    await recordAuditEvent(database(c.env.DB), auditContext(c), {
      type: "password.reset_requested",
      metadata: { mailed: perEmail.admitted },
    });
    if (perEmail.admitted) c.executionCtx.waitUntil(sendResetMail(c, email));
    return c.json(ACCEPTED, 202);
  },
});
