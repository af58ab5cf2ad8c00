/**
 * Back-office roles. Higher includes lower: an admin may do what an editor may, an editor what a
 * viewer may. Every feature that checks a role asks here (accounts/middleware.ts `requireRole`).
 */
/** The roles, in the order the back office lists them. */
export const ROLES = ['admin', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_RANK: Record<Role, number> = { viewer: 1, editor: 2, admin: 3 };

/** Whether `role` may do what `min` may. */
export const roleAtLeast = (role: Role, min: Role): boolean => ROLE_RANK[role] >= ROLE_RANK[min];

/**
 * Review duties (职责) a back-office account may hold besides its role: which steps of the
 * applications' review chain it may decide (src/applications/review.ts). Administrators hold all.
 */
export const DUTIES = ['district', 'city', 'expert'] as const;
export type Duty = (typeof DUTIES)[number];

/** The duties an account holds: its own, or all of them for an administrator. */
export function dutiesOf(u: { role: Role; duties?: readonly string[] | null }): Duty[] {
  if (u.role === 'admin') return [...DUTIES];
  return DUTIES.filter((d) => (u.duties ?? []).includes(d));
}
