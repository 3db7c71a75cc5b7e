import { describe, expect, it } from "vitest";
import { endpoints } from "../../src/routes/index";
import type { RegisteredUser } from "../helpers/api";
import { describeAuthMatrix, type ProtectedRequest } from "../helpers/auth-matrix";
import { decodeToken } from "../helpers/tokens";

/** A valid request for each session-protected route; a new route must add one here. */
const sampleRequests: Record<string, (user: RegisteredUser) => ProtectedRequest> = {
  "POST /v1/auth/logout": () => ({ method: "POST", path: "/v1/auth/logout" }),
  "POST /v1/auth/logout-all": () => ({ method: "POST", path: "/v1/auth/logout-all" }),
  "POST /v1/auth/refresh": () => ({ method: "POST", path: "/v1/auth/refresh" }),
  "POST /v1/auth/password/change": (user) => ({
    method: "POST",
    path: "/v1/auth/password/change",
    body: { currentPassword: user.password, newPassword: `changed ${user.password}` },
  }),
  "GET /v1/me": () => ({ method: "GET", path: "/v1/me" }),
  "PATCH /v1/me": () => ({ method: "PATCH", path: "/v1/me", body: { name: "Matrix" } }),
  "GET /v1/sessions": () => ({ method: "GET", path: "/v1/sessions" }),
  "DELETE /v1/sessions/{id}": (user) => ({
    method: "DELETE",
    path: `/v1/sessions/${decodeToken(user.token).payload.sid}`,
  }),
};

const protectedRoutes = endpoints
  .filter((endpoint) => endpoint.access.auth === "session")
  .map((endpoint) => `${endpoint.route.method.toUpperCase()} ${endpoint.route.path}`);

describe("protected routes", () => {
  it("each has a sample request, so none escapes the matrix", () => {
    expect(protectedRoutes.sort()).toEqual(Object.keys(sampleRequests).sort());
  });
});

for (const route of protectedRoutes) {
  const sample = sampleRequests[route];
  if (sample) describeAuthMatrix(route, sample);
}
