import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectProblem, login, type RegisteredUser, randomIp, registerUser } from "./api";
import { routeSamples } from "./route-samples";
import { base64url, craftToken, decodeToken, nowSeconds, resign } from "./tokens";

export interface ProtectedRequest {
  method: string;
  path: string;
  body?: unknown;
}

/** `ip`: the address the matrix sends from, for a credential that needs a request of its own. */
type Credential = (user: RegisteredUser, ip: string) => Promise<string | undefined>;

const bearer = (token: string) => `Bearer ${token}`;

function unsignedToken(alg: string, token: string) {
  const { header, payload } = decodeToken(token);
  return `${base64url(JSON.stringify({ ...header, alg }))}.${base64url(JSON.stringify(payload))}.`;
}

/**
 * Every way a credential can be wrong (issue 2's list). Each yields an Authorization header
 * value, or undefined for "no header at all".
 */
export const forgedCredentials: Record<string, Credential> = {
  "no Authorization header": async () => undefined,
  "wrong scheme": async (user) => `Basic ${btoa(`${user.email}:${user.password}`)}`,
  "scheme without token": async () => "Bearer",
  garbage: async () => bearer("not-a-token"),
  "alg none": async (user) => bearer(unsignedToken("none", user.token)),
  "alg None": async (user) => bearer(unsignedToken("None", user.token)),
  "alg NONE": async (user) => bearer(unsignedToken("NONE", user.token)),
  "HS512 with the right secret": async (user) => {
    const { header, payload } = decodeToken(user.token);
    return bearer(await craftToken({ ...header, alg: "HS512" }, payload, env.JWT_SECRET, "SHA-512"));
  },
  "RS256 header": async (user) => {
    const [, payload, signature] = user.token.split(".");
    const { header } = decodeToken(user.token);
    return bearer(`${base64url(JSON.stringify({ ...header, alg: "RS256" }))}.${payload}.${signature}`);
  },
  "tampered payload": async (user) => {
    const [header, , signature] = user.token.split(".");
    const { payload } = decodeToken(user.token);
    const tampered = base64url(JSON.stringify({ ...payload, userId: "usr_someoneelse000000000", email: "x@y.z" }));
    return bearer(`${header}.${tampered}.${signature}`);
  },
  "empty signature": async (user) => bearer(`${user.token.split(".").slice(0, 2).join(".")}.`),
  "two segments": async (user) => bearer(user.token.split(".").slice(0, 2).join(".")),
  "extra fourth segment": async (user) => bearer(`${user.token}.extra`),
  "missing exp": async (user) => bearer(await resign(user.token, { payload: { exp: undefined } })),
  expired: async (user) =>
    bearer(await resign(user.token, { payload: { iat: nowSeconds() - 8 * 86400, exp: nowSeconds() - 86400 } })),
  "nbf in the future": async (user) => bearer(await resign(user.token, { payload: { nbf: nowSeconds() + 3600 } })),
  "iat in the future": async (user) =>
    bearer(await resign(user.token, { payload: { iat: nowSeconds() + 3600, exp: nowSeconds() + 7200 } })),
  "wrong iss": async (user) => bearer(await resign(user.token, { payload: { iss: "https://evil.example" } })),
  "wrong aud": async (user) => bearer(await resign(user.token, { payload: { aud: "someone-else" } })),
  "unknown kid": async (user) => bearer(await resign(user.token, { header: { kid: "unknown-key" } })),
  "re-signed with another secret": async (user) =>
    bearer(await resign(user.token, { secret: "another-secret-that-is-long-enough-0123456789" })),
  "10 KiB header": async (user) => bearer(`${user.token}${"A".repeat(10 * 1024)}`),
  "revoked session": async (user, ip) => {
    const token = await login(user.email, user.password, ip);
    expect((await api("POST", "/v1/auth/logout", { token, ip })).status).toBe(204);
    return bearer(token);
  },
};

/**
 * The shared auth matrix: every forged, expired or revoked credential gets 401 problem+json
 * with a Bearer challenge, and the same request with a valid token does not.
 */
export function describeAuthMatrix(
  name: string,
  request: (user: RegisteredUser) => ProtectedRequest | Promise<ProtectedRequest>,
) {
  describe(`${name}: auth matrix`, () => {
    let user: RegisteredUser;
    // One client address for the route's whole matrix: the credential is what varies, and every
    // fresh address would start (and schedule the cleanup alarm of) another IpGuard instance,
    // about twice the cost of a known address's request (README "Test suite speed"). 23 refusals
    // are far inside an address's budget, so none of them is refused for its address instead.
    const ip = randomIp();
    beforeAll(async () => {
      user = await registerUser();
    });

    for (const [label, credential] of Object.entries(forgedCredentials)) {
      it(`refuses ${label} with 401`, async () => {
        const { method, path, body } = await request(user);
        const authorization = await credential(user, ip);
        const response = await api(method, path, {
          body,
          ip,
          headers: authorization === undefined ? {} : { Authorization: authorization },
        });
        await expectProblem(response, 401, "unauthorized");
        expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer realm="imagebot"/);
      });
    }

    it("accepts a valid session token", async () => {
      const { method, path, body } = await request(user);
      const response = await api(method, path, { body, ip, token: await login(user.email, user.password, ip) });
      // Authentication passed: whatever the route answers next, it is not a credential failure.
      expect([401, 500, 503]).not.toContain(response.status);
    });
  });
}

/**
 * The credentialed routes by area, one pool file each (the files run in parallel).
 * api5-deny-by-default proves every credentialed route falls in exactly one area.
 */
export const forgeryAreas = {
  session: ["/v1/auth", "/v1/sessions"],
  profile: ["/v1/me", "/v1/audit-log", "/v1/account", "/v1/licenses"],
  key: ["/v1/api-keys"],
  image: ["/v1/images"],
  collection: ["/v1/collections"],
  team: ["/v1/teams", "/v1/invitations"],
} as const;

export function routesOfArea(area: keyof typeof forgeryAreas): string[] {
  const prefixes: readonly string[] = forgeryAreas[area];
  return Object.keys(routeSamples).filter((route) => {
    const path = route.split(" ")[1] ?? "";
    return prefixes.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  });
}

/** The auth matrix over every credentialed route of one area. */
export function describeAuthMatrixOfArea(area: keyof typeof forgeryAreas) {
  for (const route of routesOfArea(area))
    describeAuthMatrix(route, routeSamples[route] as (typeof routeSamples)[string]);
}
