// STUB (helper H1 replaces this file): the /apply session, CSRF and loadEnterprise.
import type { RequestHandler } from 'express';
import type { WorkflowDeps } from './deps.js';

export function enterpriseSession(_deps: WorkflowDeps): RequestHandler[] {
  return [];
}
