import * as z from "zod";

/** `{provider}` in a path: any short name, so a disabled or unknown one answers 404 (not 400). */
export const providerParams = z.strictObject({ provider: z.string().max(32) });
