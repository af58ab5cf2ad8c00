// STUB (helper H2 replaces this file).
import { Router } from 'express';
import type { WorkflowDeps } from './deps.js';

export function noticeRoutes(_deps: WorkflowDeps): Router {
  return Router();
}
