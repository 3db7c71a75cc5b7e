/** API.md "Limits": requests per rolling 60 s by plan; enterprise users get their own number. */
export const plans = ["standard", "pro", "enterprise"] as const;
export type Plan = (typeof plans)[number];

const planLimits: Record<Plan, number> = { standard: 100, pro: 500, enterprise: 500 };

export function requestsPerMinute(plan: Plan, customLimit: number | null): number {
  if (plan === "enterprise" && customLimit !== null) return customLimit;
  return planLimits[plan];
}

/**
 * What an account may keep in R2, by plan: images it created and their bytes. Soft-deleted images
 * count until they are purged (30 days), since their bytes are still stored: deleting and
 * generating again cannot grow storage past the quota.
 */
export interface ImageQuota {
  images: number;
  bytes: number;
}

const GIB = 1024 ** 3;
const imageQuotas: Record<Plan, ImageQuota> = {
  standard: { images: 1_000, bytes: 1 * GIB },
  pro: { images: 10_000, bytes: 10 * GIB },
  enterprise: { images: 100_000, bytes: 100 * GIB },
};

export const imageQuotaOf = (plan: Plan): ImageQuota => imageQuotas[plan];

/** Whether one more image of `bytes` fits next to what the account already holds. */
export const fitsQuota = (usage: { images: number; bytes: number }, bytes: number, quota: ImageQuota) =>
  usage.images + 1 <= quota.images && usage.bytes + bytes <= quota.bytes;
