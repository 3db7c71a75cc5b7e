import { OpenAPIHono } from "@hono/zod-openapi";
import { publicAccess } from "./auth/access";
import { mountConsole } from "./console/mount";
import { mountDocs } from "./docs/mount";
import type { AppEnv } from "./env";
import { ApiError } from "./errors";
import { clientIp } from "./middleware/client-ip";
import { requireConfig } from "./middleware/config";
import { corsPolicy } from "./middleware/cors";
import { notFoundOrMethodNotAllowed } from "./middleware/method-not-allowed";
import { pipeline } from "./middleware/pipeline";
import { handleError } from "./middleware/problem";
import { requestId } from "./middleware/request-id";
import { securityHeaders } from "./middleware/security-headers";
import { openApiDocumentOf, registerSecuritySchemes } from "./openapi/document";
import { accessPolicies, mountEndpoint, policyKey } from "./routes/endpoint";
import { endpoints } from "./routes/index";

/** Turns zod issues into the `errors[]` of a validation problem (paths joined with dots). */
function validationFailed(
  issues: readonly { path: readonly PropertyKey[]; message: string; code?: string; keys?: string[] }[],
) {
  return new ApiError("validation_failed", {
    errors: issues.flatMap((issue) => {
      const path = issue.path.map(String).join(".");
      if (issue.code === "unrecognized_keys" && issue.keys) {
        return issue.keys.map((key) => ({ path: path ? `${path}.${key}` : key, message: "is not a known field" }));
      }
      return [{ path, message: issue.message }];
    }),
  });
}

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw validationFailed(result.error.issues);
    },
  });

  app.use(requestId());
  app.use(securityHeaders());
  app.use(requireConfig());
  app.use(clientIp());
  app.use(corsPolicy());

  for (const endpoint of endpoints) mountEndpoint(app, endpoint);
  mountConsole(app);

  registerSecuritySchemes(app);
  app.use("/openapi.json", pipeline(publicAccess));
  app.get("/openapi.json", (c) => c.json(openApiDocumentOf(app)));
  accessPolicies.set(policyKey("GET", "/openapi.json"), publicAccess);
  mountDocs(app);

  app.notFound(notFoundOrMethodNotAllowed(app));
  app.onError(handleError);
  return app;
}
