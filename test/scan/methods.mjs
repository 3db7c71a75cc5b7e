// Methods over real HTTP, which the test pool cannot send: fetch's Request refuses names outside
// workerd's list. Every method the Worker receives and does not serve answers 405 with `Allow`
// and the security headers; a name workerd does not know (TRACK, made-up ones) is refused with
// 501 by the runtime itself before any Worker code runs (RFC 9110 §15.6.2). Never a 2xx, never
// an echo of the request (TRACE's cross-site tracing). CONNECT is left out: locally workerd looks
// for a connect() handler; on Cloudflare's network it never reaches a Worker's fetch.
import http from "node:http";

const WORKER_METHODS = ["TRACE", "PROPFIND", "COPY", "MOVE", "LOCK", "MKCOL"];
const RUNTIME_REFUSED = ["TRACK", "DEBUG", "FOO"];
const PATHS = ["/v1/me", "/health", "/v1/images"];

function raw(base, method, path, ip) {
  return new Promise((resolve) => {
    const request = http.request(
      `${base}${path}`,
      { method, headers: { "CF-Connecting-IP": ip, Cookie: "probe=echo-me" }, timeout: 5000 },
      (response) => {
        let body = "";
        response.on("data", (chunk) => {
          body += chunk;
        });
        response.on("end", () => resolve({ status: response.statusCode, headers: response.headers, body }));
      },
    );
    request.on("timeout", () => request.destroy(new Error("no answer in 5 s")));
    request.on("error", (error) => resolve({ status: 0, headers: {}, body: String(error) }));
    request.end();
  });
}

/** Returns the failures (empty when every answer is as above) and how many requests were sent. */
export async function checkMethods(base, nextIp) {
  const failures = [];
  let requests = 0;
  for (const path of PATHS) {
    for (const method of [...WORKER_METHODS, ...RUNTIME_REFUSED]) {
      requests += 1;
      const { status, headers, body } = await raw(base, method, path, nextIp());
      const where = `${method} ${path}`;
      if (body.includes("echo-me")) failures.push(`${where}: the answer echoes the request`);
      if (WORKER_METHODS.includes(method)) {
        if (status !== 405) failures.push(`${where}: ${status}, not 405`);
        else if (!headers.allow) failures.push(`${where}: 405 without Allow`);
        if (headers["x-content-type-options"] !== "nosniff" || !headers["content-security-policy"]) {
          failures.push(`${where}: no security headers`);
        }
      } else if (status !== 501 && status !== 405) {
        failures.push(`${where}: ${status}, not 501 or 405`);
      }
    }
  }
  return { failures, requests };
}
