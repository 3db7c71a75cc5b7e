// OWASP API5:2023 broken function level authorisation; ASVS 5.0 V8.1.1 (deny by default), V8.3.1
// (enforced at the service layer). No route is mounted without an access policy, and every
// credentialed route is in the forgery matrix.
import { describe, expect, it } from "vitest";
import { createApp } from "../../src/app";
import { accessPolicies } from "../../src/routes/endpoint";
import { endpoints } from "../../src/routes/index";
import { forgeryAreas, routesOfArea } from "../helpers/auth-matrix";
import { routeSamples } from "../helpers/route-samples";

describe("deny by default", () => {
  it("every route the app registered has an access policy", () => {
    const registered = createApp()
      .routes.filter((route) => route.method !== "ALL")
      .map((route) => `${route.method} ${route.path}`);
    expect(registered.length).toBeGreaterThan(10);
    const missing = registered.filter((key) => !accessPolicies.has(key));
    expect(missing).toEqual([]);
  });

  it("every credentialed route is in the auth matrix", () => {
    const credentialed = endpoints
      .filter((endpoint) => endpoint.access.auth === "session" || endpoint.access.auth === "session_or_key")
      .map((endpoint) => `${endpoint.route.method.toUpperCase()} ${endpoint.route.path}`);
    expect(credentialed.sort()).toEqual(Object.keys(routeSamples).sort());
  });

  it("every credentialed route is in exactly one forgery file's area", () => {
    const areas = Object.keys(forgeryAreas) as (keyof typeof forgeryAreas)[];
    const covered = areas.flatMap((area) => routesOfArea(area));
    expect(covered.sort()).toEqual(Object.keys(routeSamples).sort());
  });
});
