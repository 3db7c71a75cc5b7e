// The local OpenID provider of the OIDC e2e tests: `oidc-provider` (the certified OpenID Provider for
// Node) on a free port of 127.0.0.1, reached through a small proxy that is the issuer's address.
// The proxy passes everything through unchanged unless a test asks it to play an attacker:
// - `nonce`: rewrites the nonce of the authorization request, so the provider honestly signs an ID
//   token whose nonce is not the one our flow sent;
// - `audience`: rewrites the authorization request's client and the token request's credentials to a
//   second registered client, so the provider honestly signs an ID token for ANOTHER audience (a
//   token substitution);
// - `signature`: changes one character of the ID token's signature in the token response.
import { randomBytes } from "node:crypto";
import http from "node:http";
import { after } from "node:test";
import Provider from "oidc-provider";
import { freePort } from "./server.mjs";

export const CLIENT_ID = "imagebot-edge";
const INTRUDER_ID = "another-app";

export async function startIssuer({ callbackUrl }) {
  const proxyPort = await freePort();
  const providerPort = await freePort();
  const issuer = `http://127.0.0.1:${proxyPort}`;
  const clientSecret = randomBytes(24).toString("base64url");
  const intruderSecret = randomBytes(24).toString("base64url");
  const client = (id, secret) => ({
    client_id: id,
    client_secret: secret,
    redirect_uris: [callbackUrl],
    response_types: ["code"],
    grant_types: ["authorization_code"],
    token_endpoint_auth_method: "client_secret_basic",
  });
  const provider = new Provider(issuer, {
    clients: [client(CLIENT_ID, clientSecret), client(INTRUDER_ID, intruderSecret)],
    // The login is the email: any address signs in, with a verified email of that name.
    async findAccount(_ctx, id) {
      return {
        accountId: id,
        async claims() {
          return { sub: `sub-${id}`, email: id, email_verified: true, name: "E2E Person" };
        },
      };
    },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    // The email claims in the ID token itself (the Worker reads no userinfo).
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    features: { devInteractions: { enabled: true } },
  });
  // Behind the proxy: its own URLs (discovery, forms, redirects) use the proxy's address.
  provider.proxy = true;
  const providerServer = http.createServer(provider.callback());
  await new Promise((resolve) => providerServer.listen(providerPort, "127.0.0.1", resolve));

  const tamper = { mode: null };
  const proxy = http.createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    let body = Buffer.concat(chunks);
    const url = new URL(request.url, issuer);
    const headers = { ...request.headers };
    if (url.pathname === "/auth" && tamper.mode === "nonce") url.searchParams.set("nonce", "a-nonce-of-our-own");
    if (url.pathname === "/auth" && tamper.mode === "audience" && url.searchParams.has("client_id")) {
      url.searchParams.set("client_id", INTRUDER_ID);
    }
    if (url.pathname === "/token" && tamper.mode === "audience") {
      headers.authorization = `Basic ${Buffer.from(`${INTRUDER_ID}:${intruderSecret}`).toString("base64")}`;
    }
    delete headers["content-length"];
    headers["x-forwarded-host"] = `127.0.0.1:${proxyPort}`;
    headers["x-forwarded-proto"] = "http";
    const upstream = await fetch(`http://127.0.0.1:${providerPort}${url.pathname}${url.search}`, {
      method: request.method,
      headers,
      body: ["GET", "HEAD"].includes(request.method) ? undefined : body,
      redirect: "manual",
    });
    body = Buffer.from(await upstream.arrayBuffer());
    if (url.pathname === "/token" && tamper.mode === "signature" && upstream.status === 200) {
      const tokens = JSON.parse(body.toString());
      const [head, payload, signature] = tokens.id_token.split(".");
      const flipped = signature[10] === "A" ? "B" : "A";
      tokens.id_token = `${head}.${payload}.${signature.slice(0, 10)}${flipped}${signature.slice(11)}`;
      body = Buffer.from(JSON.stringify(tokens));
    }
    const out = {};
    upstream.headers.forEach((value, name) => {
      if (!["content-length", "content-encoding", "transfer-encoding", "set-cookie"].includes(name)) out[name] = value;
    });
    const cookies = upstream.headers.getSetCookie();
    if (cookies.length > 0) out["set-cookie"] = cookies;
    response.writeHead(upstream.status, out);
    response.end(body);
  });
  await new Promise((resolve) => proxy.listen(proxyPort, "127.0.0.1", resolve));
  after(() => {
    proxy.close();
    providerServer.close();
    proxy.closeAllConnections?.();
    providerServer.closeAllConnections?.();
  });
  return { issuer, clientSecret, tamper };
}
