import type { Hono, NotFoundHandler } from "hono";
import { TrieRouter } from "hono/router/trie-router";
import { admitAnonymous } from "../auth/admit";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { problemResponse } from "./problem";

/**
 * 404 for unknown paths, 405 with `Allow` for a known path asked with a method it does not
 * serve (RFC 9110 §15.5.6). Built from the app's registered routes, so it never drifts.
 */
export function notFoundOrMethodNotAllowed(app: Hono<AppEnv>): NotFoundHandler<AppEnv> {
  let methodsByPath: TrieRouter<string> | undefined;
  const allowedMethods = (path: string): string[] => {
    if (!methodsByPath) {
      methodsByPath = new TrieRouter<string>();
      for (const route of app.routes) {
        if (route.method !== "ALL") methodsByPath.add("ALL", route.path, route.method);
      }
    }
    const [matches] = methodsByPath.match("ALL", path);
    const methods = new Set(matches.map(([method]) => method));
    if (methods.has("GET")) methods.add("HEAD");
    return [...methods].sort();
  };

  return async (c) => {
    try {
      // Probing unknown paths is unauthenticated traffic like any other: it counts against the IP.
      await admitAnonymous(c);
    } catch (error) {
      if (error instanceof ApiError) return problemResponse(c, error);
      throw error;
    }
    const allowed = allowedMethods(c.req.path);
    if (allowed.length === 0) return problemResponse(c, new ApiError("not_found"));
    return problemResponse(
      c,
      new ApiError("method_not_allowed", { headers: { Allow: [...allowed, "OPTIONS"].join(", ") } }),
    );
  };
}
