/**
 * The access policy every endpoint declares (deny by default: an endpoint without one cannot
 * be mounted). `public` routes need no credential; `development` routes need none either but
 * do not exist (404) unless ENVIRONMENT=development; `session` routes need a session JWT.
 */
export type AccessPolicy = { auth: "public" } | { auth: "development" } | { auth: "session" };

export const publicAccess: AccessPolicy = { auth: "public" };
export const sessionOnly: AccessPolicy = { auth: "session" };
export const developmentOnly: AccessPolicy = { auth: "development" };
