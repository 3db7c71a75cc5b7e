import type { OpenAPIHono } from "@hono/zod-openapi";
import { publicAccess } from "../auth/access";
import { DOCS_PATH } from "../console/paths";
import type { AppEnv } from "../env";
import { pipeline } from "../middleware/pipeline";
import { openApiDocumentOf } from "../openapi/document";
import { accessPolicies, policyKey } from "../routes/endpoint";
import { ReferencePage } from "./reference-page";
import type { ApiDocument } from "./schema-text";

/**
 * Mounts the API reference at /docs: rendered on the server from the very document /openapi.json
 * serves, under the console's CSP (its one style carries the response's nonce; there is no script
 * and nothing from another origin). Public like the document, and counted against the client IP.
 */
export function mountDocs(app: OpenAPIHono<AppEnv>) {
  // Rendering the whole reference costs tens of milliseconds of CPU: it is done once per isolate,
  // with a random stand-in for the nonce that each response swaps for its own.
  let rendered: { html: string; placeholder: string } | undefined;
  const pageWithNonce = (nonce: string) => {
    if (!rendered) {
      const placeholder = crypto.randomUUID();
      const document = openApiDocumentOf(app) as unknown as ApiDocument;
      rendered = { placeholder, html: `<!doctype html>${<ReferencePage document={document} nonce={placeholder} />}` };
    }
    return rendered.html.replace(`nonce="${rendered.placeholder}"`, () => `nonce="${nonce}"`);
  };
  accessPolicies.set(policyKey("GET", DOCS_PATH), publicAccess);
  app.get(DOCS_PATH, pipeline(publicAccess), (c) => {
    const nonce = c.get("secureHeadersNonce");
    if (!nonce) throw new Error("/docs rendered without a CSP nonce");
    return c.html(pageWithNonce(nonce));
  });
}
