import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { vi } from "vitest";

/**
 * Stand-ins for GitHub, Google and an OpenID provider, behind the Worker's outbound `fetch`
 * (the test and the Worker share one isolate in the pool). They behave like the real ones where
 * it matters: a code is single use, is only exchanged with the client's credentials, the
 * redirect URI it was issued for and a PKCE verifier whose S256 hash is the challenge of the
 * authorization request (RFC 7636 §4.6). Every request the Worker sends is recorded.
 */

export const PROVIDER_SETTINGS = {
  GITHUB_CLIENT_ID: "gh-client-id",
  GITHUB_CLIENT_SECRET: "gh-client-secret-value",
  GOOGLE_CLIENT_ID: "google-client-id.apps.googleusercontent.com",
  GOOGLE_CLIENT_SECRET: "google-client-secret-value",
  OIDC_ISSUER: "https://idp.example",
  OIDC_CLIENT_ID: "oidc-client-id",
  OIDC_CLIENT_SECRET: "oidc-client-secret-value",
  OIDC_NAME: "Example ID",
} as const;

export interface ProviderAccount {
  subject: string;
  email: string;
  emailVerified: boolean;
  name?: string;
}

/** How an ID token is spoiled, to prove each check runs. */
export interface IdTokenTampering {
  nonce?: string;
  audience?: string;
  issuer?: string;
  /** Signed with a key the JWKS does not hold (same `kid`). */
  foreignKey?: boolean;
  /** Already expired (by an hour). */
  expired?: boolean;
  /** Claims to replace (for example `email_verified: "true"`). */
  claims?: JWTPayload;
}

interface IssuedCode {
  provider: "github" | "google" | "oidc";
  account: ProviderAccount;
  clientId: string;
  redirectUri: string;
  challenge: string;
  nonce: string | null;
  tampering: IdTokenTampering;
}

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

const base64url = (bytes: ArrayBuffer) =>
  btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
const s256 = async (verifier: string) =>
  base64url(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier)));

const GOOGLE_ISSUER = "https://accounts.google.com";
const OIDC = PROVIDER_SETTINGS.OIDC_ISSUER;

export async function fakeProviders() {
  const signing = await generateKeyPair("RS256", { extractable: true });
  const foreign = await generateKeyPair("RS256", { extractable: true });
  const publicJwk = { ...(await exportJWK(signing.publicKey)), kid: "test-key", alg: "RS256", use: "sig" };
  const codes = new Map<string, IssuedCode>();
  const accessTokens = new Map<string, ProviderAccount>();
  const requests: RecordedRequest[] = [];
  /** When set, every provider endpoint fails (a provider that is down). */
  const state = { down: false };

  async function idTokenFor(issued: IssuedCode, issuer: string) {
    const t = issued.tampering;
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      email: issued.account.email,
      email_verified: issued.account.emailVerified,
      name: issued.account.name,
      ...(issued.nonce !== null || t.nonce ? { nonce: t.nonce ?? issued.nonce } : {}),
      ...t.claims,
    })
      .setProtectedHeader({ alg: "RS256", kid: "test-key" })
      .setIssuer(t.issuer ?? issuer)
      .setAudience(t.audience ?? issued.clientId)
      .setSubject(issued.account.subject)
      .setIssuedAt(t.expired ? now - 7200 : now)
      .setExpirationTime(t.expired ? now - 3600 : now + 600)
      .sign(t.foreignKey ? foreign.privateKey : signing.privateKey);
  }

  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

  async function exchange(request: Request, body: URLSearchParams, expected: { id: string; secret: string }) {
    const issued = codes.get(body.get("code") ?? "");
    codes.delete(body.get("code") ?? "");
    const basic = `Basic ${btoa(`${expected.id}:${expected.secret}`)}`;
    const verifier = body.get("code_verifier") ?? "";
    if (
      !issued ||
      request.headers.get("Authorization") !== basic ||
      body.get("grant_type") !== "authorization_code" ||
      body.get("redirect_uri") !== issued.redirectUri ||
      (await s256(verifier)) !== issued.challenge
    ) {
      return json({ error: "invalid_grant" }, 400);
    }
    const accessToken = `at_${crypto.randomUUID()}`;
    accessTokens.set(accessToken, issued.account);
    if (issued.provider === "github") return json({ access_token: accessToken, token_type: "bearer", scope: "" });
    const idToken = await idTokenFor(issued, issued.provider === "google" ? GOOGLE_ISSUER : OIDC);
    return json({ access_token: accessToken, token_type: "Bearer", expires_in: 3600, id_token: idToken });
  }

  async function handle(request: Request): Promise<Response> {
    const body = request.method === "POST" ? new TextDecoder().decode(await request.clone().arrayBuffer()) : "";
    requests.push({
      method: request.method,
      url: request.url,
      headers: Object.fromEntries(request.headers),
      body,
    });
    if (state.down) return new Response("down", { status: 503 });
    const url = new URL(request.url);
    const form = new URLSearchParams(body);
    const bearer = request.headers.get("Authorization")?.replace(/^Bearer /, "") ?? "";
    switch (`${request.method} ${url.origin}${url.pathname}`) {
      case "POST https://github.com/login/oauth/access_token":
        return exchange(request, form, {
          id: PROVIDER_SETTINGS.GITHUB_CLIENT_ID,
          secret: PROVIDER_SETTINGS.GITHUB_CLIENT_SECRET,
        });
      case "GET https://api.github.com/user": {
        const account = accessTokens.get(bearer);
        if (!account) return json({ message: "Bad credentials" }, 401);
        return json({ id: Number(account.subject), login: "octo", name: account.name ?? null });
      }
      case "GET https://api.github.com/user/emails": {
        const account = accessTokens.get(bearer);
        if (!account) return json({ message: "Bad credentials" }, 401);
        return json([
          { email: "secondary-verified@example.net", primary: false, verified: true },
          { email: account.email, primary: true, verified: account.emailVerified },
        ]);
      }
      case "POST https://oauth2.googleapis.com/token":
        return exchange(request, form, {
          id: PROVIDER_SETTINGS.GOOGLE_CLIENT_ID,
          secret: PROVIDER_SETTINGS.GOOGLE_CLIENT_SECRET,
        });
      case "GET https://www.googleapis.com/oauth2/v3/certs":
      case `GET ${OIDC}/jwks`:
        return json({ keys: [publicJwk] });
      case `GET ${OIDC}/.well-known/openid-configuration`:
        return json({
          issuer: OIDC,
          authorization_endpoint: `${OIDC}/authorize`,
          token_endpoint: `${OIDC}/token`,
          jwks_uri: `${OIDC}/jwks`,
        });
      case `POST ${OIDC}/token`:
        return exchange(request, form, {
          id: PROVIDER_SETTINGS.OIDC_CLIENT_ID,
          secret: PROVIDER_SETTINGS.OIDC_CLIENT_SECRET,
        });
      default:
        return new Response("not found", { status: 404 });
    }
  }

  const spy = vi.spyOn(globalThis, "fetch").mockImplementation((input, init) => handle(new Request(input, init)));

  return {
    requests,
    state,
    restore: () => spy.mockRestore(),
    /**
     * The person at the provider approves the authorization request: returns the code the
     * provider would put in the redirect, remembering what the request asked for.
     */
    approve(authorizationUrl: URL, account: ProviderAccount, tampering: IdTokenTampering = {}): string {
      const provider =
        authorizationUrl.hostname === "github.com"
          ? "github"
          : authorizationUrl.hostname === "accounts.google.com"
            ? "google"
            : "oidc";
      const code = `code_${crypto.randomUUID()}`;
      codes.set(code, {
        provider,
        account,
        clientId: authorizationUrl.searchParams.get("client_id") ?? "",
        redirectUri: authorizationUrl.searchParams.get("redirect_uri") ?? "",
        challenge: authorizationUrl.searchParams.get("code_challenge") ?? "",
        nonce: authorizationUrl.searchParams.get("nonce"),
        tampering,
      });
      return code;
    },
  };
}

export type FakeProviders = Awaited<ReturnType<typeof fakeProviders>>;
