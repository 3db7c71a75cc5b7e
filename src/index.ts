import { createApp } from "./app";
import type { Bindings } from "./env";
import { handleMailQueue } from "./jobs/mail-delivery";
import { runRetention } from "./jobs/retention";

export { AccountGuard } from "./durable-objects/account-guard";
export { AlertDesk } from "./durable-objects/alert-desk";
export { IpBlockList } from "./durable-objects/ip-block-list";
export { IpGuard } from "./durable-objects/ip-guard";
export { SecurityMonitor } from "./durable-objects/security-monitor";
export { UserGuard } from "./durable-objects/user-guard";

const app = createApp();

export default {
  fetch: app.fetch,
  /**
   * The hourly retention run. It is awaited rather than left to waitUntil, so a failed run fails the
   * invocation and the platform records it (Cron Events show it as an exception). The log names the
   * error only: a D1 or R2 message may quote the data it was working on.
   */
  /** The mail queue and its dead-letter queue (src/jobs/mail-delivery.ts, README "Mail delivery"). */
  async queue(batch, env) {
    await handleMailQueue(batch, env);
  },
  async scheduled(controller, env) {
    try {
      const report = await runRetention(env, new Date(controller.scheduledTime));
      console.log(`retention: ${JSON.stringify(report)}`);
    } catch (error) {
      console.error(`retention failed: ${error instanceof Error ? error.name : "unknown"}`);
      throw error;
    }
  },
} satisfies ExportedHandler<Bindings>;
