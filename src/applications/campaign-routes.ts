// STUB (helper H3 replaces this file).
import { Router } from 'express';
import type { WorkflowDeps } from './deps.js';

export function campaignAdminRoutes(_deps: WorkflowDeps): Router {
  return Router();
}

export function campaignEnterpriseRoutes(_deps: WorkflowDeps): Router {
  return Router();
}
