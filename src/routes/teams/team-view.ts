import * as z from "zod";
import type { Team } from "../../db/schema";
import { teamRoles } from "../../domain/permissions";
import { plainText } from "../schemas";

export const teamRoleSchema = z.enum(teamRoles);

export const teamSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    role: teamRoleSchema,
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Team" });

export const teamIdParams = z.strictObject({ id: z.string().max(100) });
export const teamNameSchema = plainText({ max: 100, trim: true });
export const teamDescriptionSchema = plainText({ min: 0, max: 500, trim: true });

/** A team as the caller sees it, with the caller's own role. */
export function teamView(team: Team, role: z.infer<typeof teamRoleSchema>) {
  return {
    id: team.id,
    name: team.name,
    description: team.description,
    role,
    createdAt: team.createdAt.toISOString(),
    updatedAt: team.updatedAt.toISOString(),
  };
}
