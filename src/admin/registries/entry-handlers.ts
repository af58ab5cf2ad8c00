/**
 * Handlers of an entry's own page and the writes made from it: the page itself (read by every
 * role), a status change with its reason (动态管理) for each registry kind, a protection record
 * appended to the famous-mark ledger and a re-review to a 老字号 listing (appended, never edited).
 */
import { actorOf } from '../../accounts/middleware.js';
import type { FieldProblem } from '../../platform/errors.js';
import { registryOf } from '../../registries/kinds.js';
import type { Kind } from '../../registries/reference.js';
import { activeValues } from '../../registries/reference-data.js';
import { protectionRecordProblems, reviewProblems, statusChangeProblems } from '../../registries/rules.js';
import { appendProtectionRecord, appendReview, changeStatus } from '../../registries/service.js';
import { bodyOf, entryPath, isAppError, load, saved, str, versionOf, type AdminContext, type Doc, type Handler } from './context.js';
import { conflictPage } from './conflict-page.js';
import { entryPage } from './entry-page.js';
import { specOf, type EntityKey } from './specs.js';

/** GET /<key>/:id */
export function showEntry(ctx: AdminContext, key: EntityKey): Handler {
  const spec = specOf(key);
  return async function showEntry(req, res) {
    const doc = await load(spec, String(req.params.id));
    await entryPage(ctx, res, spec, doc, {});
  };
}

/** Adds the rules' problems on fields that have no shape problem yet (one message per field). */
function addProblems(problems: FieldProblem[], found: FieldProblem[]): void {
  for (const p of found) if (!problems.some((q) => q.field === p.field)) problems.push(p);
}

/** POST /<kind>/:id/status */
export function statusSubmit(ctx: AdminContext, kind: Kind): Handler {
  const spec = specOf<EntityKey>(kind);
  const registry = registryOf(kind);
  const { model } = registry;
  return async function statusSubmit(req, res) {
    // Read per request: a certificate's statuses are reference data an admin extends.
    const { statuses } = registry;
    const doc = await load(spec, String(req.params.id));
    const body = bodyOf(req);
    const version = versionOf(body);
    const problems: FieldProblem[] = [];
    const status = str(body, 'status', problems).trim();
    const reason = str(body, 'statusReason', problems).trim();
    const values = { status, statusReason: reason };
    addProblems(problems, statusChangeProblems(statuses, { from: String(doc.status), to: status, reason }));
    if (problems.length) return entryPage(ctx, res, spec, doc, { statusForm: { values, problems }, status: 400 });
    try {
      await changeStatus(model, String(doc._id), version, status, reason, { actor: actorOf(res), reason, now: ctx.now() });
      saved(req, res, entryPath(kind, doc._id));
    } catch (err) {
      if (isAppError(err, 'validation_failed')) return entryPage(ctx, res, spec, doc, { statusForm: { values, problems: err.fields }, status: 400 });
      if (isAppError(err, 'conflict')) return conflictPage(ctx, res, { spec, id: String(doc._id), baseVersion: version, mine: values, mode: 'status' });
      throw err;
    }
  };
}

/** The ids of the records a ledger entry holds (what a new record may correct). */
function recordIds(doc: Doc): string[] {
  const records: unknown = doc.records;
  if (!Array.isArray(records)) return [];
  return records.flatMap((r: unknown) => (r && typeof r === 'object' && '_id' in r ? [String(r._id)] : []));
}

/** POST /famous/:id/records */
export function recordSubmit(ctx: AdminContext): Handler {
  const spec = specOf<EntityKey>('famous');
  return async function recordSubmit(req, res) {
    const doc = await load(spec, String(req.params.id));
    const body = bodyOf(req);
    const version = versionOf(body);
    const problems: FieldProblem[] = [];
    const read = (name: string) => str(body, `record.${name}`, problems).replace(/^\s+|\s+$/g, '');
    const values = {
      date: read('date'),
      kind: read('kind'),
      summary: read('summary'),
      outcome: read('outcome'),
      links: read('links'),
      corrects: read('corrects'),
    };
    // str() names shape problems with the form name; report them on the short name.
    for (const p of problems) p.field = p.field.replace(/^record\./, '');
    const record = {
      date: values.date,
      kind: values.kind,
      summary: values.summary,
      outcome: values.outcome,
      links: values.links
        .split(/[\r\n]+/)
        .map((l) => l.trim())
        .filter(Boolean),
      ...(values.corrects ? { corrects: values.corrects } : {}),
    };
    addProblems(problems, protectionRecordProblems(record, recordIds(doc)));
    if (problems.length) return entryPage(ctx, res, spec, doc, { recordForm: { values, problems }, status: 400 });
    try {
      await appendProtectionRecord(String(doc._id), version, record, { actor: actorOf(res), now: ctx.now() });
      saved(req, res, entryPath('famous', doc._id), '#records');
    } catch (err) {
      if (isAppError(err, 'validation_failed')) {
        const mapped = err.fields.map((p) => ({ ...p, field: p.field.replace(/^records\.\d+\./, '') }));
        return entryPage(ctx, res, spec, doc, { recordForm: { values, problems: mapped }, status: 400 });
      }
      if (isAppError(err, 'conflict')) {
        return conflictPage(ctx, res, { spec, id: String(doc._id), baseVersion: version, mine: { summary: values.summary }, mode: 'record' });
      }
      throw err;
    }
  };
}

/** POST /time-honored/:id/reviews — a re-review appended (不通过 removes the listing in the same write). */
export function reviewSubmit(ctx: AdminContext): Handler {
  const spec = specOf<EntityKey>('time-honored');
  return async function reviewSubmit(req, res) {
    const doc = await load(spec, String(req.params.id));
    const body = bodyOf(req);
    const version = versionOf(body);
    const problems: FieldProblem[] = [];
    const read = (name: string) => str(body, `review.${name}`, problems).trim();
    const values = { date: read('date'), outcome: read('outcome'), deadline: read('deadline'), note: read('note') };
    for (const p of problems) p.field = p.field.replace(/^review\./, '');
    const review = { date: values.date, outcome: values.outcome, deadline: values.deadline || null, note: values.note };
    addProblems(problems, reviewProblems(review, activeValues('review-outcome'), ctx.now()));
    if (problems.length) return entryPage(ctx, res, spec, doc, { reviewForm: { values, problems }, status: 400 });
    try {
      await appendReview(String(doc._id), version, review, { actor: actorOf(res), now: ctx.now() });
      saved(req, res, entryPath('time-honored', doc._id), '#reviews');
    } catch (err) {
      if (isAppError(err, 'validation_failed')) {
        const mapped = err.fields.map((p) => ({ ...p, field: p.field.replace(/^reviews\.\d+\./, '') }));
        return entryPage(ctx, res, spec, doc, { reviewForm: { values, problems: mapped }, status: 400 });
      }
      if (isAppError(err, 'conflict')) {
        return conflictPage(ctx, res, { spec, id: String(doc._id), baseVersion: version, mine: { note: values.note }, mode: 'record' });
      }
      throw err;
    }
  };
}
