// STUB (helper H2b replaces this file): /admin/notices, /admin/objections, /admin/calendar.
import { Router } from 'express';
import type { WorkflowDeps } from './deps.js';

export function noticeAdminRoutes(_deps: WorkflowDeps): Router {
  return Router();
}
