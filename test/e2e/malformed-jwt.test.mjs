// API.md "Limits and headers": a malformed token is 401, never 500. This one is a real token whose
// payload segment is replaced: the header (alg, kid) is valid, the payload is not even JSON.
import { test } from "node:test";
import { assertProblem, call, register } from "./client.mjs";
import { startServer } from "./server.mjs";

const server = await startServer();

test("a JWT with a valid header and signature but the payload `A` gets 401 unauthorized", async () => {
  const ip = "198.51.100.21";
  const { token } = await register(server.base, ip);
  const [header, , signature] = token.split(".");
  const answer = await call(server.base, "GET", "/v1/me", { ip, token: `${header}.A.${signature}` });
  assertProblem(answer, 401, "unauthorized");
});
