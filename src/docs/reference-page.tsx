import { ADDRESS_LOGIN_THROTTLE } from "../domain/login-backoff";
import { MAX_BODY_BYTES } from "../middleware/body-limits";
import {
  type ApiDocument,
  type JsonSchema,
  type Operation,
  type ResponseObject,
  resolveSchema,
  schemaText,
} from "./schema-text";
import { docsStyles } from "./styles";

/** An operation with where it is served, in the order of the document. */
interface Located {
  method: string;
  path: string;
  operation: Operation;
}

function operationsOf(document: ApiDocument): Located[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, operation]) => ({ method, path, operation })),
  );
}

/** What each security scheme means to a reader; a requirement with several schemes needs all of them. */
const schemeLabels: Record<string, string> = {
  bearerAuth: "Session JWT (Authorization: Bearer)",
  sessionCookie: "Session cookie",
  csrfToken: "X-CSRF-Token header",
  apiKey: "API key",
  operatorToken: "Operator token (ADMIN_TOKEN)",
};

function requirementText(requirement: Record<string, string[]>): string {
  return Object.entries(requirement)
    .map(([scheme, roles]) => {
      const label = schemeLabels[scheme] ?? scheme;
      return roles.length > 0 ? `${label} with scope ${roles.join(", ")}` : label;
    })
    .join(" + ");
}

function Auth({ operation }: { operation: Operation }) {
  const requirements = operation.security ?? [];
  if (requirements.length === 0) return <p>None: a public route (counted against the client IP).</p>;
  return (
    <>
      <p>Any one of:</p>
      <ul>
        {requirements.map((requirement) => (
          <li>{requirementText(requirement)}</li>
        ))}
      </ul>
    </>
  );
}

function Parameters({ operation }: { operation: Operation }) {
  const parameters = operation.parameters ?? [];
  if (parameters.length === 0) return null;
  return (
    <>
      <h4>Parameters</h4>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">In</th>
              <th scope="col">Type</th>
              <th scope="col">Required</th>
            </tr>
          </thead>
          <tbody>
            {parameters.map((parameter) => (
              <tr>
                <td>
                  <code>{parameter.name}</code>
                  {parameter.description ? <p class="hint">{parameter.description}</p> : null}
                </td>
                <td>{parameter.in}</td>
                <td>{schemaText(parameter.schema)}</td>
                <td>{parameter.required ? "yes" : "no"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function Fields({ schema }: { schema: JsonSchema }) {
  const required = new Set(schema.required ?? []);
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th scope="col">Field</th>
            <th scope="col">Type</th>
            <th scope="col">Required</th>
          </tr>
        </thead>
        <tbody>
          {Object.entries(schema.properties ?? {}).map(([name, field]) => (
            <tr>
              <td>
                <code>{name}</code>
                {field.description ? <p class="hint">{field.description}</p> : null}
              </td>
              <td>{schemaText(field)}</td>
              <td>{required.has(name) ? "yes" : "no"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Body({ document, operation }: { document: ApiDocument; operation: Operation }) {
  const content = operation.requestBody?.content;
  if (!content) return null;
  return (
    <>
      {Object.entries(content).map(([mediaType, media]) => {
        const schema = resolveSchema(document, media.schema);
        const variants = (schema?.anyOf ?? schema?.oneOf ?? [schema]).map((variant) =>
          resolveSchema(document, variant),
        );
        return (
          <>
            <h4>
              Body (<code>{mediaType}</code>)
            </h4>
            {variants.map((variant) =>
              variant?.properties ? <Fields schema={variant} /> : <p>{schemaText(media.schema)}</p>,
            )}
          </>
        );
      })}
    </>
  );
}

/** The response's own text (the generated "Problem codes" list is shown from the examples instead). */
const leadOf = (response: ResponseObject) => response.description.split("\n\nProblem codes:")[0] ?? "";

function Responses({ operation }: { operation: Operation }) {
  return (
    <>
      <h4>Responses</h4>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Meaning</th>
              <th scope="col">Problem codes</th>
            </tr>
          </thead>
          <tbody>
            {Object.entries(operation.responses).map(([status, response]) => {
              const examples = response.content?.["application/problem+json"]?.examples ?? {};
              return (
                <tr>
                  <td>{status === "default" ? "other (5xx)" : status}</td>
                  <td>
                    {leadOf(response)}
                    {response.content?.["application/json"] ? (
                      <p class="hint">
                        <code>application/json</code>: {schemaText(response.content["application/json"].schema)}
                      </p>
                    ) : null}
                  </td>
                  <td>
                    <ul class="codes">
                      {Object.entries(examples).map(([code, example]) => (
                        <li>
                          <code>{code}</code>
                          {example.summary ? `: ${example.summary}` : null}
                        </li>
                      ))}
                    </ul>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </>
  );
}

function OperationSection({ document, located }: { document: ApiDocument; located: Located }) {
  const { method, path, operation } = located;
  return (
    <section class="operation" id={operation.operationId} aria-labelledby={`${operation.operationId}-heading`}>
      <h3 id={`${operation.operationId}-heading`}>
        <a href={`#${operation.operationId}`}>
          <span class={`method method-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
        </a>
      </h3>
      {operation.summary ? <p class="summary">{operation.summary}</p> : null}
      {operation.description ? <p>{operation.description}</p> : null}
      <p class="hint">
        Operation id: <code>{operation.operationId}</code>
      </p>
      <h4>Authentication</h4>
      <Auth operation={operation} />
      <Parameters operation={operation} />
      <Body document={document} operation={operation} />
      <Responses operation={operation} />
    </section>
  );
}

/** API.md "General" and "Limits and headers", as a client meets them. */
function Limits() {
  return (
    <section aria-labelledby="limits">
      <h2 id="limits">Limits and headers</h2>
      <ul>
        <li>
          Authenticated requests: per user, at most 100 (standard), 500 (pro) or the account's custom limit (enterprise)
          in any rolling 60 seconds.
        </li>
        <li>
          Requests without a valid credential (401s included; <code>/health</code> and the Stripe webhook excepted): at
          most 1000 per client IP in any rolling hour. A refused request does not use up budget.
        </li>
        <li>
          Admitted responses carry <code>RateLimit-Limit</code>, <code>RateLimit-Remaining</code> and{" "}
          <code>RateLimit-Reset</code> (seconds); a 429 adds <code>Retry-After</code>.
        </li>
        <li>
          Sign-in: at most {ADDRESS_LOGIN_THROTTLE.limit} failed attempts per IP in any rolling hour, then a wait that
          doubles with each failure (429 <code>too_many_attempts</code>); 10 consecutive failures lock the account (423{" "}
          <code>account_locked</code>, with <code>Retry-After</code>).
        </li>
        <li>
          Bodies: <code>application/json</code> only (else 415 <code>unsupported_media_type</code>), at most{" "}
          {MAX_BODY_BYTES / 1024} KiB (else 413 <code>payload_too_large</code>); unknown fields are refused (400{" "}
          <code>validation_failed</code>). This holds on every route, including those that take no body.
        </li>
        <li>
          Lists: <code>?limit=</code> 1..100 (default 50) and <code>?cursor=</code>; the answer is{" "}
          <code>{'{ "data": [...], "nextCursor": string | null }'}</code>.
        </li>
        <li>
          A session token older than 24 hours comes back refreshed in <code>X-Refreshed-Token</code>; every response has
          an <code>X-Request-Id</code>.
        </li>
      </ul>
    </section>
  );
}

function Overview({ document }: { document: ApiDocument }) {
  const schemes = document.components?.securitySchemes ?? {};
  return (
    <>
      <section aria-labelledby="overview">
        <h2 id="overview">Overview</h2>
        <p>{document.info.description}</p>
        <p>
          The machine-readable document is <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1, version{" "}
          {document.info.version}).
        </p>
        <h3>Servers</h3>
        <ul>
          {(document.servers ?? []).map((server) => (
            <li>
              <code>{server.url}</code> {server.description ? `(${server.description})` : null}
            </li>
          ))}
        </ul>
        <h3>Credentials</h3>
        <dl>
          {Object.entries(schemes).map(([name, scheme]) => (
            <>
              <dt>{schemeLabels[name] ?? name}</dt>
              <dd>{scheme.description}</dd>
            </>
          ))}
        </dl>
        <h3>Errors</h3>
        <p>
          Every error is <code>application/problem+json</code> (RFC 9457):{" "}
          <code>{'{ "type", "title", "status", "detail", "code", "requestId" }'}</code>, and <code>errors[]</code> (
          <code>path</code>, <code>message</code>) for <code>validation_failed</code>. Clients branch on{" "}
          <code>code</code>; each operation lists the codes it can answer.
        </p>
      </section>
      <Limits />
    </>
  );
}

/** The contents: each tag and its operations, as links to their anchors. */
function Contents({ groups }: { groups: { name: string; operations: Located[] }[] }) {
  return (
    <nav aria-label="Contents" class="contents">
      <ul>
        <li>
          <a href="#overview">Overview</a>
        </li>
        <li>
          <a href="#limits">Limits and headers</a>
        </li>
        {groups.map((group) => (
          <li>
            <a href={`#tag-${group.name}`}>{group.name}</a>
            <ul>
              {group.operations.map(({ method, path, operation }) => (
                <li>
                  <a href={`#${operation.operationId}`}>
                    <span class="method-text">{method.toUpperCase()}</span> {path}
                  </a>
                </li>
              ))}
            </ul>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** The API reference: every operation of the document, grouped by tag, server-rendered, no script. */
export function ReferencePage({ document, nonce }: { document: ApiDocument; nonce: string }) {
  const operations = operationsOf(document);
  const groups = (document.tags ?? [])
    .map((tag) => ({
      ...tag,
      operations: operations.filter((located) => located.operation.tags?.includes(tag.name)),
    }))
    .filter((group) => group.operations.length > 0);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <link rel="icon" href="data:," />
        <title>{`${document.info.title} API reference`}</title>
        {/* A constant of this module, written as is (a <style> decodes no entities). */}
        <style nonce={nonce} dangerouslySetInnerHTML={{ __html: docsStyles }} />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to the reference
        </a>
        <header>
          <p class="brand">{document.info.title} API reference</p>
        </header>
        <div class="docs">
          <Contents groups={groups} />
          <main id="main" tabindex={-1}>
            <h1>{document.info.title} API reference</h1>
            <Overview document={document} />
            {groups.map((group) => (
              <section class="tag" aria-labelledby={`tag-${group.name}`}>
                <h2 id={`tag-${group.name}`}>{group.name}</h2>
                {group.description ? <p>{group.description}</p> : null}
                {group.operations.map((located) => (
                  <OperationSection document={document} located={located} />
                ))}
              </section>
            ))}
          </main>
        </div>
      </body>
    </html>
  );
}
