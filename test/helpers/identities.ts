import { env } from "cloudflare:workers";

/**
 * Links a provider account to `userId` directly in D1, for suites that are about a route's
 * access rules or lists rather than the sign-in flow (test/routes/oauth.test.ts drives that).
 */
export async function insertIdentity(userId: string, provider = "github"): Promise<string> {
  const id = `idn_${crypto.randomUUID().replaceAll("-", "")}`;
  await env.DB.prepare(
    "INSERT INTO user_identities (id, user_id, provider, subject, email, created_at) VALUES (?, ?, ?, ?, ?, ?)",
  )
    .bind(id, userId, provider, crypto.randomUUID(), null, Date.now())
    .run();
  return id;
}
