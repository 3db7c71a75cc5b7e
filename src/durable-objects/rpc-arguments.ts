import type * as z from "zod";

/** RPC arguments are validated at the boundary; a bad one is a caller bug, reported plainly. */
export function parseArgument<T>(schema: z.ZodType<T>, value: unknown, name: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TypeError(`invalid ${name}`);
  return parsed.data;
}
