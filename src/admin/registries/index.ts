/**
 * The regulators' editing screens (mounted inside /admin after requireRole('viewer')):
 * lists per registry and of brands, an entry page with its history, create and edit forms,
 * status changes with a reason (动态管理), the famous-mark ledger's protection records and the
 * "due" view.
 *
 * This file is the route table, every URL written out; the handlers live in *-handlers.ts, the
 * pages they share in *-page.ts. Every write goes through the registry service (which audits it
 * and feeds the search index); forms carry the version they were based on, and a stale one gets
 * the conflict page, never a silent overwrite. Viewers read everything here; forms and writes
 * need the editor role.
 */
import { Router } from 'express';
import { requireRole } from '../../accounts/middleware.js';
import { adminContext, type RegistryAdminDeps } from './context.js';
import { createForm, createSubmit } from './create-handlers.js';
import { editForm, editSubmit } from './edit-handlers.js';
import { recordSubmit, reviewSubmit, showEntry, statusSubmit } from './entry-handlers.js';
import { brandsList, duePage, kindList } from './list-handlers.js';
import './messages.js';

export type { RegistryAdminDeps } from './context.js';

export function registryAdminRoutes(deps: RegistryAdminDeps): Router {
  const ctx = adminContext(deps);
  const router = Router();
  const editor = requireRole('editor');

  // "/<key>/new" comes before "/<key>/:id", which would otherwise take "new" for an id.

  // ----- brands and their trademarks ------------------------------------------------------------
  router.get('/brands', brandsList(ctx));
  router.get('/brands/new', editor, createForm(ctx, 'brands'));
  router.post('/brands/new', editor, createSubmit(ctx, 'brands'));
  router.get('/brands/:id/edit', editor, editForm(ctx, 'brands'));
  router.post('/brands/:id/edit', editor, editSubmit(ctx, 'brands'));
  router.get('/brands/:id', showEntry(ctx, 'brands'));

  router.get('/trademarks/new', editor, createForm(ctx, 'trademarks'));
  router.post('/trademarks/new', editor, createSubmit(ctx, 'trademarks'));
  router.get('/trademarks/:id/edit', editor, editForm(ctx, 'trademarks'));
  router.post('/trademarks/:id/edit', editor, editSubmit(ctx, 'trademarks'));
  router.get('/trademarks/:id', showEntry(ctx, 'trademarks'));

  // ----- the trademark directory (商标品牌名录) ---------------------------------------------------
  router.get('/directory', kindList(ctx, 'directory'));
  router.get('/directory/new', editor, createForm(ctx, 'directory'));
  router.post('/directory/new', editor, createSubmit(ctx, 'directory'));
  router.get('/directory/:id/edit', editor, editForm(ctx, 'directory'));
  router.post('/directory/:id/edit', editor, editSubmit(ctx, 'directory'));
  router.post('/directory/:id/status', editor, statusSubmit(ctx, 'directory'));
  router.get('/directory/:id', showEntry(ctx, 'directory'));

  // ----- the famous-mark ledger (驰名商标工作台账) and its protection records ------------------------
  router.get('/famous', kindList(ctx, 'famous'));
  router.get('/famous/new', editor, createForm(ctx, 'famous'));
  router.post('/famous/new', editor, createSubmit(ctx, 'famous'));
  router.get('/famous/:id/edit', editor, editForm(ctx, 'famous'));
  router.post('/famous/:id/edit', editor, editSubmit(ctx, 'famous'));
  router.post('/famous/:id/status', editor, statusSubmit(ctx, 'famous'));
  router.post('/famous/:id/records', editor, recordSubmit(ctx));
  router.get('/famous/:id', showEntry(ctx, 'famous'));

  // ----- time-honored brands (老字号名录) ---------------------------------------------------------
  router.get('/time-honored', kindList(ctx, 'time-honored'));
  router.get('/time-honored/new', editor, createForm(ctx, 'time-honored'));
  router.post('/time-honored/new', editor, createSubmit(ctx, 'time-honored'));
  router.get('/time-honored/:id/edit', editor, editForm(ctx, 'time-honored'));
  router.post('/time-honored/:id/edit', editor, editSubmit(ctx, 'time-honored'));
  router.post('/time-honored/:id/status', editor, statusSubmit(ctx, 'time-honored'));
  router.post('/time-honored/:id/reviews', editor, reviewSubmit(ctx));
  router.get('/time-honored/:id', showEntry(ctx, 'time-honored'));

  // ----- certifications (精品认定) ---------------------------------------------------------------
  router.get('/certified', kindList(ctx, 'certified'));
  router.get('/certified/new', editor, createForm(ctx, 'certified'));
  router.post('/certified/new', editor, createSubmit(ctx, 'certified'));
  router.get('/certified/:id/edit', editor, editForm(ctx, 'certified'));
  router.post('/certified/:id/edit', editor, editSubmit(ctx, 'certified'));
  router.post('/certified/:id/status', editor, statusSubmit(ctx, 'certified'));
  router.get('/certified/:id', showEntry(ctx, 'certified'));

  // ----- what falls due --------------------------------------------------------------------------
  router.get('/due', duePage(ctx));

  return router;
}
