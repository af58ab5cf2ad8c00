/**
 * What every back-office registry handler shares: its dependencies (the page renderer, the search
 * index, the clock), sending a page, the redirect after a write, loading an entry and its brand,
 * and reading the version and plain strings from a form body.
 */
import type { Request, Response } from 'express';
import { flash } from '../../accounts/middleware.js';
import { ROLE_RANK } from '../../accounts/roles.js';
import { AppError, type FieldProblem } from '../../platform/errors.js';
import { url, type Render } from '../../platform/views.js';
import { Brand } from '../../registries/models.js';
import type { SearchIndex } from '../../search/port.js';
import { isObjectId } from './forms.js';
import { isRecord } from '../../platform/guards.js';
import type { EntityKey, EntitySpec } from './specs.js';

export interface RegistryAdminDeps {
  render: Render;
  index: SearchIndex;
  /** Clock for expiry (过期) and the due view; injectable for tests. */
  now?: () => Date;
}

/** The deps with the clock filled in: what each handler factory is given. */
export interface AdminContext {
  render: Render;
  index: SearchIndex;
  now: () => Date;
}

export const adminContext = (deps: RegistryAdminDeps): AdminContext => ({ render: deps.render, index: deps.index, now: deps.now ?? (() => new Date()) });

/** A route handler of these screens (Express 5 passes a rejected promise on to the error handler). */
export type Handler = (req: Request, res: Response) => Promise<void>;

/** An entry as read with lean(). */
export type Doc = Record<string, unknown> & { _id: unknown; version: number };

/** What the screens show of the brand an entry hangs on. */
export type BrandRef = { _id: unknown; name: string; slug: string };

export const langOf = (res: Response) => res.locals.lang ?? 'zh';

export const canEdit = (res: Response) => {
  const role = res.locals.user?.role;
  return role ? ROLE_RANK[role] >= ROLE_RANK.editor : false;
};

/** Renders `view` with the request's locals, never cached. */
export function send(ctx: AdminContext, res: Response, view: string, data: Record<string, unknown>, status = 200): void {
  res.status(status);
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(ctx.render(view, { ...res.locals, canEdit: canEdit(res), ...data }));
}

/** After a write: the message for the next page, and a 303 so a reload does not post again. */
export function saved(req: Request, res: Response, path: string, hash = ''): void {
  flash(req, 'adminreg.saved');
  res.redirect(303, url(langOf(res), path) + hash);
}

export const entryPath = (key: EntityKey, id: unknown) => `/admin/${key}/${String(id)}`;

/** The entry `id` of `spec`, or a 404. */
export async function load(spec: EntitySpec, id: string): Promise<Doc> {
  const doc = isObjectId(id) ? await spec.model.findById(id).lean<Doc>() : null;
  if (!doc) throw new AppError('not_found', '找不到该条目', { messageEn: 'No such entry' });
  return doc;
}

export const brandRef = async (id: unknown) => (id ? await Brand.findById(id).select('name slug').lean<BrandRef>() : null);

const badRequest = (field: string, zh: string, en: string) =>
  new AppError('bad_request', `${field}: ${zh}`, { messageEn: `${field}: ${en}`, fields: [{ field, message: zh, messageEn: en }] });

/** The version a form was based on: one plain positive integer, or a 400. */
export function versionOf(body: Record<string, unknown>): number {
  const v = body.version;
  if (typeof v !== 'string' || !/^\d{1,9}$/.test(v) || Number(v) < 1) throw badRequest('version', '版本号缺失或格式不正确', 'missing or malformed version');
  return Number(v);
}

/** One plain string from a form body (arrays and objects are refused as a field problem). */
export function str(body: Record<string, unknown>, name: string, problems: FieldProblem[]): string {
  const v = body[name];
  if (v === undefined || v === null) return '';
  if (typeof v !== 'string') {
    problems.push({ field: name, message: '格式不正确，应为一段文字', messageEn: 'must be a single text value' });
    return '';
  }
  return v;
}

export function bodyOf(req: Request): Record<string, unknown> {
  const body: unknown = req.body;
  return isRecord(body) ? body : {};
}

export const isAppError = (err: unknown, code: string): err is AppError => err instanceof AppError && err.code === code;
