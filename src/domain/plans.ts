/** API.md "Limits": requests per rolling 60 s by plan; enterprise users get their own number. */
export const plans = ["standard", "pro", "enterprise"] as const;
export type Plan = (typeof plans)[number];

const planLimits: Record<Plan, number> = { standard: 100, pro: 500, enterprise: 500 };

export function requestsPerMinute(plan: Plan, customLimit: number | null): number {
  if (plan === "enterprise" && customLimit !== null) return customLimit;
  return planLimits[plan];
}
