// `npm run bench`: measures the Worker under load on this machine, against `wrangler dev`
// (the pool is for correctness only: it slows down with every request, workers-sdk #15446).
// Starts its own instance on 127.0.0.1:8788 with fresh local state, seeds a user, a key and an
// image through the API, drives each path with autocannon for a bounded time, and checks that
// a burst of 10×L concurrent requests admits exactly L.
import os from "node:os";
import autocannon from "autocannon";
import { callJson, startLocalWorker, verifyEmailLocally } from "../tools/local-worker.mjs";

const PORT = 8788;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const STATE = process.env.BENCH_STATE_DIR ?? ".wrangler/bench-state";

// Clients come from a pool of 32 addresses, as a few dozen real clients would (a new address per
// request would measure the creation of a Durable Object per request instead).
const randomIp = () => `10.0.0.${Math.floor(Math.random() * 32)}`;

const call = (method, path, { ip = randomIp(), ...options } = {}) => callJson(BASE, method, path, { ip, ...options });

/**
 * What each measured path costs on a warm isolate, by the pipeline's design (src/auth/pipeline.ts):
 * Durable Object calls, D1 queries, and whether the shield (Workers Rate Limiting) is asked.
 */
const HOPS = {
  "GET /health": "0 DO, 0 D1",
  "GET /v1/me (JWT)": "shield + 1 DO (user guard) + 1 D1",
  "GET /v1/images/{id} (API key)": "shield + 1 DO (user guard) + 1 D1",
  "POST /v1/auth/login (bcrypt)": "shield + 7 DO (IP guard ×3, network guard ×2, account guard ×2) + D1 + bcrypt",
};

function load(title, options) {
  return new Promise((resolve, reject) => {
    autocannon({ url: BASE, duration: SECONDS, connections: CONNECTIONS, ...options }, (error, result) => {
      if (error) return reject(error);
      const errors = result.non2xx + result.errors + result.timeouts;
      resolve({ title, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors });
    });
  });
}

const {
  base: BASE,
  adminToken: ADMIN_TOKEN,
  stop,
} = await startLocalWorker({
  port: PORT,
  state: STATE,
  verbose: Boolean(process.env.BENCH_VERBOSE),
});

try {
  const email = `bench.${Date.now()}@example.com`;
  const password = "bench passphrase, not a real one";
  const { token, user } = await call("POST", "/v1/auth/register", { body: { email, password } });
  await verifyEmailLocally(BASE, email, randomIp());
  // Lift the per-user limit so the benchmark measures the path, not the limiter.
  await call("PATCH", `/v1/admin/users/${user.id}`, {
    token: ADMIN_TOKEN,
    body: { plan: "enterprise", rateLimitPerMinute: 100000 },
  });
  const { key } = await call("POST", "/v1/api-keys", { token, body: { name: "bench", scopes: ["read"] } });
  const image = await call("POST", "/v1/images/generations", { token, body: { prompt: "bench", size: "256x256" } });

  const fromRandomIp = (request) => ({
    requests: [
      {
        ...request,
        setupRequest: (prepared) => ({ ...prepared, headers: { ...prepared.headers, "CF-Connecting-IP": randomIp() } }),
      },
    ],
  });
  const results = [];
  results.push(await load("GET /health", fromRandomIp({ method: "GET", path: "/health" })));
  results.push(
    await load(
      "GET /v1/me (JWT)",
      fromRandomIp({ method: "GET", path: "/v1/me", headers: { Authorization: `Bearer ${token}` } }),
    ),
  );
  results.push(
    await load(
      "GET /v1/images/{id} (API key)",
      fromRandomIp({ method: "GET", path: `/v1/images/${image.id}`, headers: { Authorization: `Bearer ${key}` } }),
    ),
  );
  // Logins spread over 32 accounts: 32 simultaneous logins to ONE account would mostly meet its
  // lockout guard, which counts every admitted attempt until it succeeds (at most 10 in flight).
  const loginEmails = [];
  for (let index = 0; index < 32; index++) {
    const loginEmail = `bench.login.${index}.${Date.now()}@example.com`;
    await call("POST", "/v1/auth/register", { body: { email: loginEmail, password } });
    loginEmails.push(loginEmail);
  }
  results.push(
    await load("POST /v1/auth/login (bcrypt)", {
      requests: [
        {
          method: "POST",
          path: "/v1/auth/login",
          setupRequest: (prepared) => ({
            ...prepared,
            headers: { "Content-Type": "application/json", "CF-Connecting-IP": randomIp() },
            body: JSON.stringify({ email: loginEmails[Math.floor(Math.random() * 32)], password }),
          }),
        },
      ],
    }),
  );

  // Exactness: limit L, 10×L concurrent requests, exactly L admitted.
  const limit = 50;
  await call("PATCH", `/v1/admin/users/${user.id}`, {
    token: ADMIN_TOKEN,
    body: { plan: "enterprise", rateLimitPerMinute: limit },
  });
  const { token: fresh } = await call("POST", "/v1/auth/register", {
    body: { email: `exact.${Date.now()}@example.com`, password },
  });
  const freshUser = await call("GET", "/v1/me", { token: fresh });
  await call("PATCH", `/v1/admin/users/${freshUser.id}`, {
    token: ADMIN_TOKEN,
    body: { plan: "enterprise", rateLimitPerMinute: limit },
  });
  const statuses = await Promise.all(
    Array.from({ length: limit * 10 }, () =>
      fetch(`${BASE}/v1/me`, { headers: { Authorization: `Bearer ${fresh}`, "CF-Connecting-IP": randomIp() } }).then(
        (r) => r.status,
      ),
    ),
  );
  const admitted = statuses.filter((status) => status === 200).length;
  // One request of the fresh user (GET /v1/me above) already sits in the window.
  const expected = limit - 1;

  const health = results[0].rps;
  console.log(
    `\nImageBot Edge benchmark: ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${SECONDS} s per path, ${CONNECTIONS} connections, wrangler dev on 127.0.0.1\n`,
  );
  console.log("| path | hops | req/s | p50 ms | p99 ms | vs /health | non-2xx/errors |");
  console.log("|---|---|---|---|---|---|---|");
  for (const row of results) {
    console.log(
      `| ${row.title} | ${HOPS[row.title]} | ${row.rps.toFixed(0)} | ${row.p50} | ${row.p99} | ${(row.rps / health).toFixed(2)} | ${row.errors} |`,
    );
  }
  console.log(
    `\nExactness: limit ${limit}, ${limit * 10} concurrent requests (1 already in the window): admitted ${admitted}, expected ${expected}: ${admitted === expected ? "exact" : "NOT EXACT"}`,
  );
  if (admitted > expected) process.exitCode = 1;
} finally {
  stop();
}
