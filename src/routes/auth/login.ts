import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { spendPasswordCheck, verifyPassword } from "../../crypto/password";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { findUserByEmail } from "../../db/users";
import { ApiError } from "../../errors";
import { publicAccess } from "../access";
import { auditContext } from "../audit-context";
import { defineEndpoint } from "../endpoint";
import { emailSchema, jsonBody, jsonResponse, problemResponse, tokenResponseSchema } from "../schemas";
import { startSession } from "./start-session";

// The password is not length-checked here beyond a cap: a login must not reveal the policy
// that was in force when an old password was chosen.
export const loginBodySchema = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(1024),
});
export type LoginBody = z.infer<typeof loginBodySchema>;

export const login = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    path: "/v1/auth/login",
    tags: ["auth"],
    summary: "Log in with email and password",
    request: { body: jsonBody(loginBodySchema) },
    responses: {
      200: jsonResponse("Logged in", tokenResponseSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("invalid_credentials (unknown email and wrong password alike)"),
    },
  }),
  handler: async (c) => {
    const { email, password } = c.req.valid("json");
    const db = database(c.env.DB);
    const user = await findUserByEmail(db, email);
    // An unknown email still costs one bcrypt compare, so timing does not reveal accounts.
    const passwordMatches = user
      ? await verifyPassword(password, user.passwordHash)
      : await spendPasswordCheck(password);
    if (!user || !passwordMatches) {
      await recordAuditEvent(db, auditContext(c), {
        type: "auth.login_failed",
        userId: user?.id ?? null,
        metadata: { reason: "invalid_credentials" },
      });
      throw new ApiError("invalid_credentials");
    }
    const session = await startSession(c, user);
    await recordAuditEvent(db, auditContext(c), {
      type: "auth.login",
      userId: user.id,
      metadata: { sessionId: session.sessionId },
    });
    return c.json(session.response, 200);
  },
});
