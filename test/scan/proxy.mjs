// A tiny HTTP forward proxy between a scanner and the local Worker. Every request leaves with a
// fresh random `CF-Connecting-IP` (the only client address the Worker reads), as if a botnet
// sent it: the per-IP limits (1000 unauthenticated requests per hour, 5 failed logins per hour
// plus backoff) would otherwise answer 429 after the first few hundred requests and hide the code
// paths the scanner is meant to reach. It also counts requests and answers per status.
import { randomBytes, randomInt } from "node:crypto";
import http from "node:http";

// A random address in 10.0.0.0/8 never used before in this run: each request is a new client
// (two failed logins from one address within seconds would meet its backoff).
const usedIps = new Set();
export function randomIp() {
  for (;;) {
    const ip = `10.${randomInt(256)}.${randomInt(256)}.${randomInt(1, 255)}`;
    if (!usedIps.has(ip)) {
      usedIps.add(ip);
      return ip;
    }
  }
}

/** Where a scanner's request goes, always the Worker under test whatever the request line names. */
function upstreamRequest(target, request, body) {
  // Through a proxy the request line holds the absolute URL; only its path and query are kept.
  const url = new URL(request.url, target);
  const headers = { ...request.headers };
  for (const name of ["proxy-connection", "proxy-authorization", "connection", "keep-alive", "transfer-encoding"]) {
    delete headers[name];
  }
  // Plain bodies back, so an `exchange` can read the JSON it needs (no gzip to undo).
  delete headers["accept-encoding"];
  // A Host the scanner set (level 5 injects into it) is passed on; the socket goes to the target anyway.
  headers.host ??= target.host;
  headers["content-length"] = String(body.length);
  return { method: request.method, path: `${url.pathname}${url.search}`, headers, body };
}

/** Sends one request to the Worker and buffers the answer (JSON bodies, a few KiB at most). */
export function send(target, { method, path, headers, body }) {
  return new Promise((resolve, reject) => {
    const outgoing = http.request({ host: target.hostname, port: target.port, method, path, headers }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () =>
        resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks) }),
      );
      response.on("error", reject);
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

/**
 * Starts a proxy for one scan target on 127.0.0.1 (random port). `rewrite(body)` may change the
 * request body (e.g. make each registration's email unique); `exchange(request, forward, stats)`
 * may wrap the forwarding (e.g. clear an account lock and retry, counting that in `stats`).
 * Resolves to `{ url, stats, close }`.
 */
export async function startProxy(
  target,
  { rewrite = (body) => body, exchange = (request, forward) => forward(request) } = {},
) {
  const targetUrl = new URL(target);
  const stats = { requests: 0, byStatus: {}, rateLimited: 0, failed: 0 };
  const server = http.createServer(async (request, response) => {
    const chunks = [];
    for await (const chunk of request) chunks.push(chunk);
    stats.requests++;
    try {
      const prepared = upstreamRequest(
        targetUrl,
        request,
        Buffer.from(rewrite(Buffer.concat(chunks).toString("utf8"))),
      );
      // Every request sent upstream, a retry included, comes from a new address.
      const forward = (next) =>
        send(targetUrl, { ...next, headers: { ...next.headers, "cf-connecting-ip": randomIp() } });
      const answer = await exchange(prepared, forward, stats);
      stats.byStatus[answer.status] = (stats.byStatus[answer.status] ?? 0) + 1;
      if (answer.status === 429) stats.rateLimited++;
      const headers = { ...answer.headers, "content-length": String(answer.body.length) };
      delete headers["transfer-encoding"];
      delete headers.connection;
      response.writeHead(answer.status, headers);
      response.end(answer.body);
    } catch (error) {
      stats.failed++;
      stats.lastError = error instanceof Error ? error.message : String(error);
      response.writeHead(502, { "content-type": "text/plain" });
      response.end(`scan proxy: ${stats.lastError}`);
    }
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    stats,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** A random token for bodies that must differ on every request (unique emails). */
export const uniqueToken = () => randomBytes(8).toString("hex");
