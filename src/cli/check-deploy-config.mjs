// `npm run deploy:check` (before the dry-run builds): reads wrangler.toml (or the file given as the
// first argument) as wrangler resolves it for each deployment, and fails when a deployment would
// run in a way the Worker only allows in development: the local image renderer (gradients instead
// of pictures), no Workers AI binding, mail over HTTP without its endpoint, or no mail queue.
import { unstable_readConfig } from "wrangler";

const configPath = process.argv[2] ?? "wrangler.toml";
const deployments = ["staging", "production"];

const problems = [];
for (const env of deployments) {
  const config = unstable_readConfig({ config: configPath, env }, { hideWarnings: true });
  const vars = config.vars ?? {};
  const say = (problem) => problems.push(`[env.${env}] ${problem}`);
  if (vars.ENVIRONMENT !== env) say(`ENVIRONMENT is ${JSON.stringify(vars.ENVIRONMENT)}, not "${env}"`);
  if (vars.IMAGE_GENERATOR !== "workers-ai")
    say("IMAGE_GENERATOR is not workers-ai: it would serve the local renderer");
  if (config.ai?.binding !== "AI") say("no Workers AI binding named AI");
  if (!vars.IMAGE_MODEL) say("IMAGE_MODEL is not set");
  if (vars.MAIL_TRANSPORT === "http" && !vars.MAIL_HTTP_URL) say("MAIL_TRANSPORT is http without MAIL_HTTP_URL");
  // Mail over a transport goes through the queue: producer, consumer, and a dead-letter queue
  // with its own consumer (that one marks the mail `failed`).
  const mailQueue = config.queues?.producers?.find((producer) => producer.binding === "MAIL_QUEUE")?.queue;
  const consumers = config.queues?.consumers ?? [];
  const mailConsumer = consumers.find((consumer) => consumer.queue === mailQueue);
  if (!mailQueue) say("no queue producer bound as MAIL_QUEUE");
  else if (!mailConsumer) say(`no consumer of the mail queue ${mailQueue}`);
  else if (!mailConsumer.dead_letter_queue?.startsWith("imagebot-mail-dlq")) {
    say("the mail queue has no dead-letter queue named imagebot-mail-dlq-…");
  } else if (!consumers.some((consumer) => consumer.queue === mailConsumer.dead_letter_queue)) {
    say(`no consumer of the dead-letter queue ${mailConsumer.dead_letter_queue}`);
  }
  if (!vars.WEBAUTHN_RP_ID || !vars.WEBAUTHN_ORIGINS) say("WEBAUTHN_RP_ID or WEBAUTHN_ORIGINS is not set (passkeys)");
}

if (problems.length > 0) {
  console.error(`deploy check failed (${configPath}):\n${problems.map((problem) => `  - ${problem}`).join("\n")}`);
  process.exit(1);
}
console.log(`deploy check: ${deployments.join(" and ")} use Workers AI and the settings they need (${configPath})`);
