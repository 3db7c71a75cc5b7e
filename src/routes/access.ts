/**
 * The access policy every endpoint declares (deny by default: an endpoint without one cannot
 * be mounted). `public` routes need no credential; `session` routes need a session JWT.
 */
export type AccessPolicy = { auth: "public" } | { auth: "session" };

export const publicAccess: AccessPolicy = { auth: "public" };
export const sessionOnly: AccessPolicy = { auth: "session" };
