import { createApp } from "./app";
import type { Bindings } from "./env";

export { UserGuard } from "./durable-objects/user-guard";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(_controller, _env, _ctx) {
    // The daily retention run arrives with the audit-retention issue; the trigger is declared
    // now so deployments keep one stable schedule.
  },
} satisfies ExportedHandler<Bindings>;
