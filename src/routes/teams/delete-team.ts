import { createRoute } from "@hono/zod-openapi";
import { sessionWithTeamAction } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { listTeamImageKeys } from "../../db/images";
import { deleteTeam as deleteTeamRows } from "../../db/teams";
import { purgeAfterCommit, queueImagePurge } from "../../services/image-purge";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { teamIdParams } from "./team-view";

export const deleteTeam = defineEndpoint({
  access: sessionWithTeamAction("delete_team"),
  route: createRoute({
    method: "delete",
    operationId: "deleteTeam",
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
    // Rows first, with their audit row, in one transaction: if D1 fails, the team is whole,
    // bytes included. The bytes go after the commit (see image-purge.ts).
    const purge = await queueImagePurge(c.env.IMAGES, await listTeamImageKeys(db, id));
    await deleteTeamRows(
      db,
      id,
      auditEventInsert(db, auditContext(c), { type: "team.deleted", userId: principalOf(c).userId, teamId: id }),
    );
    await purgeAfterCommit(c.env.IMAGES, purge);
    return c.body(null, 204);
  },
});
