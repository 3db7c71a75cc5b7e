import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { newId } from "../../crypto/random";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { imageUsage, insertImageWithinQuota } from "../../db/images";
import { findUserById } from "../../db/users";
import { fitsQuota, imageQuotaOf } from "../../domain/plans";
import { ApiError } from "../../errors";
import { imageGeneratorFor } from "../../services/image-generator-config";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, plainText, problemResponse } from "../schemas";
import { imageSchema, imageSizes, imageView } from "./image-view";

export const createImageBodySchema = z.strictObject({
  prompt: plainText({ max: 1000 }),
  size: z.enum(imageSizes).default("512x512"),
  teamId: z.string().max(100).optional(),
});

const quotaExceeded = (quota: { images: number; bytes: number }) =>
  new ApiError("quota_exceeded", {
    detail: `Your plan keeps at most ${quota.images} images and ${quota.bytes / 1024 ** 3} GiB, deleted images included until they are purged (30 days after deletion).`,
  });

export const createImage = defineEndpoint({
  access: sessionOrKey("generate", "edit"),
  route: createRoute({
    method: "post",
    operationId: "createImage",
    path: "/v1/images/generations",
    tags: ["images"],
    summary: "Generate an image from a prompt (into a team with the edit permission)",
    request: { body: jsonBody(createImageBodySchema) },
    responses: {
      201: jsonResponse("The image", imageSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden, or quota_exceeded when the account's images or bytes are used up"),
      404: problemResponse("not_found (a team the caller is not in)"),
    },
  }),
  handler: async (c) => {
    const { prompt, size, teamId } = c.req.valid("json");
    const principal = principalOf(c);
    if (teamId !== undefined) await authorizeTeam(c, teamId);

    const db = database(c.env.DB);
    const user = await findUserById(db, principal.userId);
    if (!user) throw new ApiError("unauthorized");
    const quota = imageQuotaOf(user.plan);
    // Checked before generating (the costly part), and again by the insert itself, atomically.
    if (!fitsQuota(await imageUsage(db, user.id), 0, quota)) throw quotaExceeded(quota);

    const generated = await imageGeneratorFor(c.env, c.get("config")).generate({ prompt, size });
    const imageId = newId("img");
    const r2Key = `images/${imageId}`;
    await c.env.IMAGES.put(r2Key, generated.bytes, { httpMetadata: { contentType: generated.contentType } });
    const now = new Date();
    const image = await insertImageWithinQuota(
      db,
      {
        id: imageId,
        userId: principal.userId,
        teamId: teamId ?? null,
        prompt,
        title: null,
        size,
        contentType: generated.contentType,
        byteSize: generated.bytes.byteLength,
        r2Key,
        createdAt: now,
        updatedAt: now,
      },
      quota,
    ).catch(async (error: unknown) => {
      // Nothing stored half-way: bytes without their row would be unreachable and never purged.
      await c.env.IMAGES.delete(r2Key);
      throw error;
    });
    if (!image) {
      await c.env.IMAGES.delete(r2Key);
      throw quotaExceeded(quota);
    }
    await recordAuditEvent(db, auditContext(c), {
      type: "image.generated",
      userId: principal.userId,
      teamId: image.teamId,
      metadata: { imageId, size },
    });
    return c.json(imageView(image), 201);
  },
});
