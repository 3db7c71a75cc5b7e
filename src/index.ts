import { createApp } from "./app";
import type { Bindings } from "./env";
import { runRetention } from "./jobs/retention";

export { AccountGuard } from "./durable-objects/account-guard";
export { IpBlockList } from "./durable-objects/ip-block-list";
export { IpGuard } from "./durable-objects/ip-guard";
export { UserGuard } from "./durable-objects/user-guard";

const app = createApp();

export default {
  fetch: app.fetch,
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(
      runRetention(env, new Date(controller.scheduledTime)).then((report) =>
        console.log(`retention: ${JSON.stringify(report)}`),
      ),
    );
  },
} satisfies ExportedHandler<Bindings>;
