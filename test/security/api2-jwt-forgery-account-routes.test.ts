// OWASP API2:2023 broken authentication; ASVS 5.0 V9.1 (token integrity: alg, signature, kid), V9.2
// (exp, nbf, iss, aud), V7.4 (revoked sessions). The 23-credential forgery corpus of helpers/auth-matrix.ts
// against every credentialed account, key and session route.
import { describeAuthMatrix } from "../helpers/auth-matrix";
import { routeSamples } from "../helpers/route-samples";

// The shared auth matrix over the account routes (split by area to keep each pool file short).
const prefixes = ["/v1/auth", "/v1/me", "/v1/sessions", "/v1/api-keys", "/v1/audit-log", "/v1/account", "/v1/licenses"];
for (const [route, sample] of Object.entries(routeSamples)) {
  const path = route.split(" ")[1] ?? "";
  if (prefixes.some((prefix) => path.startsWith(prefix))) describeAuthMatrix(route, sample);
}
