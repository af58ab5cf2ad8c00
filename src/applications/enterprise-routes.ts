// STUB (helper H1 replaces this file).
import { Router } from 'express';
import type { WorkflowDeps } from './deps.js';

export function enterpriseRoutes(_deps: WorkflowDeps): Router {
  return Router();
}
