import type { Context } from "hono";
import { auditContext } from "../auth/audit-context";
import { CONSOLE_ROOT } from "../console/paths";
import { recordAuditEvent } from "../db/audit";
import { database } from "../db/client";
import type { User } from "../db/schema";
import { NEW_COUNTRY_LOOKBACK_MS, recordSignInCountry } from "../db/sign-in-countries";
import { networkGuardKey } from "../domain/client-address";
import type { AppEnv } from "../env";
import { newCountrySignInMail } from "./mail-templates";
import { mailerFor } from "./mailer";

/** Cloudflare's two-letter country (`request.cf.country`); absent locally and in tests that give none. */
function countryOf(c: Context<AppEnv>): string | null {
  const country = c.req.raw.cf?.country;
  return typeof country === "string" && /^[A-Z0-9]{2}$/.test(country) ? country : null;
}

/** "Germany (DE)" when the runtime knows the name, else the code. */
function countryName(code: string): string {
  try {
    const name = new Intl.DisplayNames(["en"], { type: "region" }).of(code);
    return name && name !== code ? `${name} (${code})` : code;
  } catch {
    return code;
  }
}

/** The address' network as the mail names it: its /24 or /48, and the AS that announces it when known. */
function networkOf(c: Context<AppEnv>, ip: string): string {
  const prefix = networkGuardKey(ip).replace(/^network:/, "");
  const cf = c.req.raw.cf;
  const asn = typeof cf?.asn === "number" ? `AS${cf.asn}` : null;
  const organisation = typeof cf?.asOrganization === "string" ? cf.asOrganization.slice(0, 100) : null;
  const owner = [asn, organisation].filter(Boolean).join(" ");
  return owner ? `${prefix} (${owner})` : prefix;
}

/**
 * Part of every sign-in (and of registration, which records the account's first country): keeps
 * the countries seen in the last 30 days, and mails the owner when this one is not among them
 * while another is. No country (local runs), nothing recorded and no mail.
 */
export async function noteSignInCountry(c: Context<AppEnv>, user: User, now: Date): Promise<void> {
  const country = countryOf(c);
  if (!country) return;
  // The sign-in has happened (its session exists): a failure here must not turn it into an error.
  await noteCountry(c, user, country, now).catch((error: unknown) => {
    console.error(`sign-in country not recorded: ${error instanceof Error ? error.name : "unknown"}`);
  });
}

async function noteCountry(c: Context<AppEnv>, user: User, country: string, now: Date): Promise<void> {
  const db = database(c.env.DB);
  const seen = await recordSignInCountry(db, {
    userId: user.id,
    country,
    now,
    since: new Date(now.getTime() - NEW_COUNTRY_LOOKBACK_MS),
  });
  if (seen !== "new") return;
  const ip = c.get("clientIp");
  await recordAuditEvent(db, auditContext(c), {
    type: "auth.new_country_notice",
    userId: user.id,
    metadata: { country },
  });
  const sessionsUrl = new URL(`${CONSOLE_ROOT}/sessions`, c.get("config").APP_URL).toString();
  await mailerFor(c).send(
    newCountrySignInMail(user.email, {
      country: countryName(country),
      at: now,
      ip,
      network: networkOf(c, ip),
      sessionsUrl,
    }),
  );
}
