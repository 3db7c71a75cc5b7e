import { randomBytes } from "node:crypto";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-pool-workers";
import { defineConfig } from "vitest/config";

// Fresh random secrets per run: no secret is committed, and tests read them from `env`.
const secret = () => randomBytes(48).toString("base64url");

export default defineConfig({
  plugins: [
    cloudflareTest(async () => ({
      main: "./src/index.ts",
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ENVIRONMENT: "development",
          APP_URL: "http://127.0.0.1:8787",
          // Mail stays in the D1 outbox: tests never contact a mail service.
          MAIL_TRANSPORT: "outbox",
          JWT_SECRET: secret(),
          JWT_SECRET_PREVIOUS: secret(),
          ADMIN_TOKEN: secret(),
          STRIPE_WEBHOOK_SECRET: `whsec_${secret()}`,
          STRIPE_PRO_PRICE_IDS: "price_test_pro_monthly,price_test_pro_yearly",
          TOTP_ENCRYPTION_KEY: secret(),
          // One sign-in provider on by default, so its routes exist for the route-wide suites (access
          // matrix, fuzzing); its endpoints are never reached (start only builds a URL).
          // test/routes/oauth.test.ts turns each provider on and off per request.
          GITHUB_CLIENT_ID: "matrix-github-client",
          GITHUB_CLIENT_SECRET: secret(),
          // The same migration files that `npm start` applies with wrangler.
          TEST_MIGRATIONS: await readD1Migrations("./drizzle"),
        },
      },
    })),
  ],
  test: {
    testTimeout: 30_000,
    // Logs of passing tests stay in the isolate (the leak guard still reads every line); a failing
    // test still prints its own. Thousands of outbox lines cost the reporter time and hide failures.
    silent: "passed-only",
    // Vitest's default is one worker fewer than the cores: on CI's 2 cores, one file at a time.
    // Most of a file's time is workerd running the Worker (bcrypt, SQLite), so two files at once
    // use both cores; each file keeps its own isolated storage.
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: "workers",
          include: ["test/**/*.test.ts"],
          exclude: ["test/domain/**"],
          setupFiles: [
            "./test/pool-proxy-fix.setup.ts",
            "./test/pool-module-cache.setup.ts",
            "./test/apply-migrations.ts",
            "./test/security/leak-guard.setup.ts",
          ],
        },
      },
      {
        // The pure domain rules (src/domain/) import no binding and run no Worker: plain Node runs
        // them without the ~3.5 s each pool file spends starting workerd and loading the Worker.
        test: { name: "domain", include: ["test/domain/**/*.test.ts"], environment: "node" },
      },
    ],
  },
});
