import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import { rememberExchange, rememberSecret } from "./secret-registry";

export interface ApiRequest {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
  /** The client IP (`CF-Connecting-IP`); a fresh random one per request unless given. */
  ip?: string;
  /** What Cloudflare's edge would put in `request.cf` (`{ country: "DE" }`); none by default, as locally. */
  cf?: Record<string, unknown>;
}

/** A random client address, as Cloudflare would set for a new client. */
export function randomIp(): string {
  const [a, b, c] = crypto.getRandomValues(new Uint8Array(3));
  return `10.${a}.${b}.${c}`;
}

/**
 * The address a mailbox's owner uses: the same for every request about one email (sign-up,
 * reading the outbox, following a link), and as good as random across emails. A fresh address per
 * request would start (and schedule the cleanup alarm of) another IpGuard instance each time, about
 * twice the cost of a request from a known address (README "Test suite speed").
 */
export function mailboxIp(email: string): string {
  let hash = 0x811c9dc5; // FNV-1a
  for (let index = 0; index < email.length; index++) {
    hash = Math.imul(hash ^ email.charCodeAt(index), 0x01000193);
  }
  return `10.${(hash >>> 16) & 255}.${(hash >>> 8) & 255}.${hash & 255}`;
}

/** Sends a request through the Worker's real fetch handler (same runtime as production). */
export async function api(method: string, path: string, options: ApiRequest = {}): Promise<Response> {
  const headers = new Headers(options.headers);
  if (options.token !== undefined) headers.set("Authorization", `Bearer ${options.token}`);
  if (!headers.has("CF-Connecting-IP")) headers.set("CF-Connecting-IP", options.ip ?? randomIp());
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    if (!headers.has("Content-Type")) headers.set("Content-Type", "application/json");
  }
  // `manual`: a redirect (the OAuth routes answer 302) is the answer under test, never followed.
  const response = await exports.default.fetch(
    new Request(`https://edge.test${path}`, {
      method,
      headers,
      body,
      redirect: "manual",
      ...(options.cf ? { cf: options.cf } : {}),
    }),
  );
  await rememberExchange(headers, body, response);
  return response;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: { path: string; message: string }[];
}

/** Asserts an RFC 9457 problem response with the given status and code, and returns its body. */
export async function expectProblem(response: Response, status: number, code: string): Promise<Problem> {
  const text = await response.text();
  expect({ status: response.status, text }).toMatchObject({ status });
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  const problem = JSON.parse(text) as Problem;
  expect(problem).toMatchObject({ type: "about:blank", status, code });
  expect(problem.requestId).toBe(response.headers.get("X-Request-Id"));
  return problem;
}

let counter = 0;
export function uniqueEmail(label = "user"): string {
  counter += 1;
  return `${label}.${counter}.${crypto.randomUUID().slice(0, 8)}@example.com`;
}

export interface RegisteredUser {
  id: string;
  email: string;
  password: string;
  token: string;
}

/**
 * Registers a user and, unless `verified: false`, verifies their email through the real flow
 * (the link from the outbox, then POST /v1/auth/email/verify): keys and invitations need it.
 */
export async function registerUser(
  overrides: { email?: string; password?: string; name?: string; verified?: boolean } = {},
) {
  const email = overrides.email ?? uniqueEmail();
  const password = overrides.password ?? `pw-${crypto.randomUUID()}`;
  // One address for the new user's whole sign-up, as one browser would (see mailboxIp).
  const ip = mailboxIp(email);
  const response = await api("POST", "/v1/auth/register", { body: { email, password, name: overrides.name }, ip });
  expect(response.status).toBe(201);
  const body = (await response.json()) as { token: string; user: { id: string; email: string } };
  if (overrides.verified !== false) await verifyEmailByLink(body.user.email, ip);
  return { id: body.user.id, email: body.user.email, password, token: body.token } satisfies RegisteredUser;
}

/** The token of the newest link mailed to `to` whose subject matches (`…?token=<token>`). */
export async function linkTokenMailedTo(to: string, subject: RegExp): Promise<string> {
  const outbox = await api("GET", `/dev/outbox?to=${encodeURIComponent(to)}`, { ip: mailboxIp(to) });
  expect(outbox.status).toBe(200);
  const mails = ((await outbox.json()) as { data: { subject: string; text: string }[] }).data;
  const mail = mails.find((entry) => subject.test(entry.subject));
  const token = mail && /\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no link matching ${subject} mailed to ${to}`);
  rememberSecret(token);
  return token;
}

/** Follows the newest verification link mailed to `email`, as its owner would. */
export async function verifyEmailByLink(email: string, ip?: string): Promise<void> {
  const token = await linkTokenMailedTo(email, /verify your/i);
  const response = await api("POST", "/v1/auth/email/verify", { body: { token }, ip });
  expect(response.status).toBe(204);
}

export async function login(email: string, password: string, ip?: string) {
  const response = await api("POST", "/v1/auth/login", { body: { email, password }, ...(ip ? { ip } : {}) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

export { env };
