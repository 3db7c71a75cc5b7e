import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { hashPassword } from "../../crypto/password";
import { newId } from "../../crypto/random";
import { recordAuditEvent } from "../../db/audit";
import { database, isUniqueViolation } from "../../db/client";
import { findUserByEmail, insertUser } from "../../db/users";
import { ApiError } from "../../errors";
import { mailVerificationLink } from "../../services/email-verification";
import { emailVerificationMail } from "../../services/mail-templates";
import { noteSignInCountry } from "../../services/sign-in-country";
import { defineEndpoint } from "../endpoint";
import {
  emailSchema,
  jsonBody,
  jsonResponse,
  nameSchema,
  passwordSchema,
  problemResponse,
  sessionDeliverySchema,
  signInResponseSchema,
} from "../schemas";
import { requireTrustedOriginFor, startSession } from "./start-session";

export const registerBodySchema = z.strictObject({
  email: emailSchema,
  password: passwordSchema,
  name: nameSchema.optional(),
  session: sessionDeliverySchema,
});
export type RegisterBody = z.infer<typeof registerBodySchema>;

export const register = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "register",
    path: "/v1/auth/register",
    tags: ["auth"],
    summary: "Create an account and its first session; mails a link that verifies the address",
    request: { body: jsonBody(registerBodySchema) },
    responses: {
      201: jsonResponse("Account created", signInResponseSchema),
      400: problemResponse("validation_failed"),
      403: problemResponse("csrf_failed (a cookie session asked for from a foreign origin)"),
      409: problemResponse("email_taken"),
    },
  }),
  handler: async (c) => {
    const body = c.req.valid("json");
    requireTrustedOriginFor(c, body.session);
    const db = database(c.env.DB);
    // Hash first: the answer for a taken email then takes as long as a new account.
    const passwordHash = await hashPassword(body.password);
    if (await findUserByEmail(db, body.email)) throw new ApiError("email_taken");
    const now = new Date();
    const user = await insertUser(db, {
      id: newId("usr"),
      email: body.email,
      name: body.name ?? null,
      passwordHash,
      createdAt: now,
      updatedAt: now,
    }).catch((error: unknown) => {
      // Two registrations racing for one email: the UNIQUE index decides.
      if (isUniqueViolation(error)) throw new ApiError("email_taken");
      throw error;
    });
    const session = await startSession(c, user, { delivery: body.session, signInMethod: "password" });
    await recordAuditEvent(db, auditContext(c), {
      type: "user.registered",
      userId: user.id,
      metadata: { sessionId: session.sessionId },
    });
    // The account's first country: a later sign-in from another one mails the owner.
    await noteSignInCountry(c, user, now);
    // The account works at once, but keys and invitations wait for this link (Email ownership).
    // When the address has had its verification mails this hour, or the link cannot be stored,
    // none is sent now: the account exists either way, and a resend can follow.
    await mailVerificationLink(c, { userId: user.id, email: user.email }, (url) =>
      emailVerificationMail(user.email, url),
    ).catch((error: unknown) => {
      console.error(`verification link not prepared: ${error instanceof Error ? error.name : "unknown"}`);
    });
    return c.json(session.response, 201);
  },
});
