import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { mailVerificationLink, verificationMailsCapped } from "../../services/email-verification";
import { emailVerificationMail } from "../../services/mail-templates";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";

export const resendEmailVerification = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "resendEmailVerification",
    path: "/v1/auth/email/verify/resend",
    tags: ["auth"],
    summary: "Mail a new verification link to the account's address (the older link stops working)",
    description:
      "At most 3 verification mails per address in any rolling hour, the sign-up mail included (429 rate_limited). " +
      "An address that is already verified is sent nothing (still 202).",
    responses: {
      202: { description: "Accepted: a link is on its way unless the address is already verified" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden (an API key)"),
      429: problemResponse("rate_limited: the address had its 3 verification mails this hour"),
    },
  }),
  handler: async (c) => {
    const user = await findUserById(database(c.env.DB), sessionPrincipalOf(c).userId);
    if (!user) throw new ApiError("unauthorized");
    if (!user.emailVerified) {
      const capped = await mailVerificationLink(c, { userId: user.id, email: user.email }, (url) =>
        emailVerificationMail(user.email, url),
      );
      if (capped) throw verificationMailsCapped(capped);
    }
    return c.body(null, 202);
  },
});
