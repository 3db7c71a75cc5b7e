import type { D1Migration } from "@cloudflare/vitest-pool-workers";
import type { Bindings } from "../src/env";

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import("../src/index");
      durableNamespaces: "UserGuard";
    }
    interface Env extends Bindings {
      TEST_MIGRATIONS: D1Migration[];
      JWT_SECRET: string;
      JWT_SECRET_PREVIOUS: string;
      ADMIN_TOKEN: string;
      STRIPE_WEBHOOK_SECRET: string;
      TOTP_ENCRYPTION_KEY: string;
    }
  }
}
