/**
 * The bureau's workflows (issue #15): enterprise accounts and applications under /apply (their own
 * session cookie, scoped to /apply), the reviewers' back office under /admin, public notices and
 * objections under /notices, re-review campaigns in both. Boot builds the deps (deps.ts).
 */
import { Router } from 'express';
import type { WorkflowDeps } from './deps.js';
import { enterpriseSession } from './enterprise-session.js';
import { enterpriseRoutes } from './enterprise-routes.js';
import { workflowAdminRoutes } from './admin-routes.js';
import { noticeRoutes } from './notice-routes.js';
import { noticeAdminRoutes } from './notice-admin-routes.js';
import { campaignAdminRoutes, campaignEnterpriseRoutes } from './campaign-routes.js';

export type { Mailer, WorkflowDeps, WorkflowMail } from './deps.js';
export { WorkflowReminders } from './reminders.js';

/** The public side: /apply (enterprises, signed in with their own session) and /notices (everyone). */
export function workflowRoutes(deps: WorkflowDeps): Router {
  return Router()
    .use('/apply', ...enterpriseSession(deps), enterpriseRoutes(deps), campaignEnterpriseRoutes(deps))
    .use(noticeRoutes(deps));
}

/** The reviewers' side, mounted among the back office's features (its session, CSRF and roles). */
export function workflowAdmin(deps: WorkflowDeps): Router {
  return Router().use(workflowAdminRoutes(deps)).use(noticeAdminRoutes(deps)).use(campaignAdminRoutes(deps));
}
