import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionWithTeamAction } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { sha256Hex } from "../../crypto/hash";
import { newId, randomToken } from "../../crypto/random";
import { database } from "../../db/client";
import { INVITATIONS_PER_ADDRESS, INVITATIONS_PER_TEAM, replaceInvitationWithinCaps } from "../../db/invitations";
import { findTeam, listMembers } from "../../db/teams";
import { mayManageMember } from "../../domain/permissions";
import { toSeconds } from "../../domain/seconds";
import { ApiError } from "../../errors";
import { requireVerifiedUser } from "../../services/email-verification";
import { teamInvitationMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { emailSchema, jsonBody, jsonResponse, problemResponse } from "../schemas";
import { teamIdParams, teamRoleSchema } from "./team-view";

const INVITATION_LIFETIME_MS = 7 * 24 * 60 * 60 * 1000;

export const createInvitationBodySchema = z.strictObject({ email: emailSchema, role: teamRoleSchema });

export const invitationSchema = z
  .object({
    id: z.string(),
    teamId: z.string(),
    email: z.string(),
    role: teamRoleSchema,
    createdAt: z.iso.datetime(),
    expiresAt: z.iso.datetime(),
  })
  .meta({ id: "Invitation" });

export const createInvitation = defineEndpoint({
  access: sessionWithTeamAction("invite"),
  route: createRoute({
    method: "post",
    operationId: "createTeamInvitation",
    path: "/v1/teams/{id}/invitations",
    tags: ["teams"],
    summary:
      "Invite an email into the team (mailed link; 7 days, single use, only that email's account). It replaces the address's pending invitation to this team (the older link dies). At most 20 per team and 3 per address (across all teams) in any 24 h.",
    request: { params: teamIdParams, body: jsonBody(createInvitationBodySchema) },
    responses: {
      201: jsonResponse("The invitation (its token is only in the mail)", invitationSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden (also: an admin inviting an owner), or email_unverified"),
      404: problemResponse("not_found"),
      409: problemResponse("conflict: already a member"),
      429: problemResponse("rate_limited: the team's or the address's 24 h cap is reached (Retry-After)"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    const { email, role } = c.req.valid("json");
    const actorRole = await authorizeTeam(c, id);
    if (!mayManageMember(actorRole, null, role)) {
      throw new ApiError("forbidden", { detail: "Only an owner can invite an owner." });
    }
    // Invitations are mail from our domain on the inviter's behalf: only from a proved address.
    await requireVerifiedUser(c, principalOf(c).userId);
    const db = database(c.env.DB);
    if ((await listMembers(db, id)).some((member) => member.email === email)) {
      throw new ApiError("conflict", { detail: "This email is already a member of the team." });
    }
    const team = await findTeam(db, id);
    if (!team) throw new ApiError("not_found");

    const token = randomToken(32);
    const now = new Date();
    const principal = principalOf(c);
    const invitationId = newId("inv");
    const outcome = await replaceInvitationWithinCaps(
      db,
      {
        id: invitationId,
        teamId: id,
        email,
        role,
        tokenHash: await sha256Hex(token),
        invitedBy: principal.userId,
        createdAt: now,
        expiresAt: new Date(now.getTime() + INVITATION_LIFETIME_MS),
      },
      await sha256Hex(email),
      {
        context: auditContext(c),
        event: { type: "team.invited", userId: principal.userId, teamId: id, metadata: { invitationId, role } },
      },
    );
    if ("refused" in outcome) {
      throw new ApiError("rate_limited", {
        detail: `At most ${INVITATIONS_PER_TEAM} invitations per team and ${INVITATIONS_PER_ADDRESS} per address in 24 hours.`,
        headers: { "Retry-After": String(toSeconds(outcome.refused.retryAfterMs)) },
      });
    }
    const invitation = outcome.created;
    const url = new URL("/console/accept-invitation", c.get("config").APP_URL);
    url.searchParams.set("token", token);
    await mailerFor(c).send({
      ...teamInvitationMail(email, team.name, role, url.toString()),
      linkExpiresAt: invitation.expiresAt,
    });
    return c.json(
      {
        id: invitation.id,
        teamId: id,
        email,
        role,
        createdAt: invitation.createdAt.toISOString(),
        expiresAt: invitation.expiresAt.toISOString(),
      },
      201,
    );
  },
});
