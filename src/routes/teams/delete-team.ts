import { createRoute } from "@hono/zod-openapi";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { listTeamImageKeys } from "../../db/images";
import { deleteTeam as deleteTeamRows } from "../../db/teams";
import { principalOf } from "../../middleware/authenticate";
import { sessionWithTeamAction } from "../access";
import { auditContext } from "../audit-context";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { teamIdParams } from "./team-view";

export const deleteTeam = defineEndpoint({
  access: sessionWithTeamAction("delete_team"),
  route: createRoute({
    method: "delete",
    path: "/v1/teams/{id}",
    tags: ["teams"],
    summary: "Delete a team with its members, invitations, images (and their bytes) and collections (owner)",
    request: { params: teamIdParams },
    responses: {
      204: { description: "Deleted" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    await authorizeTeam(c, id);
    const db = database(c.env.DB);
    // Bytes first: if this fails half-way the rows remain and a retry finishes the job.
    const keys = await listTeamImageKeys(db, id);
    for (let start = 0; start < keys.length; start += 1000) await c.env.IMAGES.delete(keys.slice(start, start + 1000));
    await deleteTeamRows(db, id);
    await recordAuditEvent(db, auditContext(c), { type: "team.deleted", userId: principalOf(c).userId, teamId: id });
    return c.body(null, 204);
  },
});
