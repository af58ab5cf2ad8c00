/**
 * The review chain (审核链) as data, and the reviewers' decisions on its steps (issue #15 item 2).
 *
 * Each application kind has a ReviewChain, created from DEFAULT_CHAIN on first use (ensureChains).
 * An administrator may rename steps, change their duty and their working days; their keys, types
 * and order stay fixed (review → notice → decision), so an application in flight never loses its
 * place.
 *
 * Transitions owned here (model.ts):
 *   submitted → in_review at the first step, or at the step that returned it (the submit hook)
 *   in_review: pass → the next step (the notice step waits for a batch: notices.ts)
 *              return → returned (reasons mailed to the enterprise)
 *              reject → rejected (decidedAt, mailed)
 *   decision step: pass → the listing (decide.ts) and approved; refused while an objection is open
 *
 * Every write names the version it was made from (a stale one is a conflict) and is audited.
 */
import type { PublicUser } from '../accounts/model.js';
import { DUTIES, roleAtLeast, type Duty } from '../accounts/roles.js';
import { accountDuties } from '../accounts/service.js';
import type { EventRecorder } from '../audit/index.js';
import { AppError, notFound, validationFailed, type FieldProblem } from '../platform/errors.js';
import { isOneOf } from '../platform/guards.js';
import { registerMessages } from '../platform/i18n.js';
import { submitHooks } from './applications.js';
import { addWorkingDays } from './calendar.js';
import type { WorkflowDeps } from './deps.js';
import { createListing } from './decide.js';
import {
  APPLICATION_KINDS,
  Application,
  DEFAULT_CHAIN,
  Enterprise,
  Objection,
  ReviewChain,
  STEP_DECISIONS,
  type ApplicationDoc,
  type ApplicationKind,
  type ChainStep,
  type ReviewChainDoc,
  type StepDecision,
  type StepRecord,
} from './model.js';

registerMessages({
  'audit.action.review_chain_update': ['修改审核链', 'Review chain changed'],
  'audit.action.application_step': ['申报审核决定', 'Application step decided'],
  'audit.action.application_chain_enter': ['申报进入审核', 'Application entered review'],
});

/** Statuses a reviewer works on (the queue's default). */
export const ACTIVE_STATUSES = ['submitted', 'in_review', 'notice'] as const;

/** Reasons: one a line, at most this many, each at most REASON_MAX characters. */
export const REASONS_MAX = 20;
export const REASON_MAX = 300;
export const COMMENT_MAX = 2000;

const problem = (field: string, message: string, messageEn: string): FieldProblem => ({ field, message, messageEn });

// ─── Working days ───────────────────────────────────────────────────────────────────────────────

/** Working days after `from` by the bureau's calendar (calendar.ts: weekends, holidays, 调休). */
export { addWorkingDays } from './calendar.js';

// ─── Chains ─────────────────────────────────────────────────────────────────────────────────────

let ensured: Promise<void> | null = null;

/** Creates the missing chains from DEFAULT_CHAIN (once per process; safe to race). */
export function ensureChains(): Promise<void> {
  ensured ??= (async () => {
    for (const kind of APPLICATION_KINDS) {
      await ReviewChain.updateOne(
        { _id: kind },
        { $setOnInsert: { steps: DEFAULT_CHAIN.map((s) => ({ ...s })), version: 1, updatedBy: 'system', updatedAt: new Date() } },
        { upsert: true },
      ).catch((err: unknown) => {
        if (!(err && typeof err === 'object' && 'code' in err && err.code === 11000)) throw err;
      });
    }
  })().catch((err: unknown) => {
    ensured = null;
    throw err;
  });
  return ensured;
}

export async function chainOf(kind: ApplicationKind): Promise<ReviewChainDoc> {
  await ensureChains();
  const chain = await ReviewChain.findById(kind).lean<ReviewChainDoc>();
  if (!chain) throw new Error(`no review chain for ${kind}`);
  return chain;
}

export async function allChains(): Promise<ReviewChainDoc[]> {
  await ensureChains();
  const chains = await ReviewChain.find({}).lean<ReviewChainDoc[]>();
  return APPLICATION_KINDS.map((k) => chains.find((c) => c._id === k)).filter((c): c is ReviewChainDoc => Boolean(c));
}

export interface StepInput {
  nameZh: unknown;
  nameEn: unknown;
  duty: unknown;
  days: unknown;
}

/**
 * Changes a chain's step names, duties and working days (administrators only). The steps' keys,
 * types and order are kept; `steps` must give one input per step. Audited `review_chain_update`.
 */
export async function updateChain(
  audit: EventRecorder,
  actor: PublicUser,
  kind: unknown,
  expectedVersion: number,
  steps: StepInput[],
  now = new Date(),
): Promise<ReviewChainDoc> {
  if (!roleAtLeast(actor.role, 'admin')) throw new AppError('forbidden', '只有管理员可以修改审核链', { messageEn: 'Only administrators change review chains' });
  if (!isOneOf(APPLICATION_KINDS, kind)) throw notFound('审核链', 'review chain');
  const chain = await chainOf(kind);
  if (chain.version !== expectedVersion) throw chainConflict(chain.version);
  const problems: FieldProblem[] = [];
  const next: ChainStep[] = chain.steps.map((s, i) => {
    const input = steps[i] ?? { nameZh: undefined, nameEn: undefined, duty: undefined, days: undefined };
    const nameZh = typeof input.nameZh === 'string' ? input.nameZh.trim() : '';
    const nameEn = typeof input.nameEn === 'string' ? input.nameEn.trim() : '';
    const daysText = typeof input.days === 'string' || typeof input.days === 'number' ? String(input.days).trim() : '';
    const days = /^\d{1,3}$/.test(daysText) ? Number(daysText) : NaN;
    if (!nameZh || [...nameZh].length > 20) problems.push(problem(`nameZh_${i}`, '步骤名称须为1-20个字符', 'the step name is 1-20 characters'));
    if (!nameEn || nameEn.length > 40) problems.push(problem(`nameEn_${i}`, '英文名称须为1-40个字符', 'the English name is 1-40 characters'));
    if (!isOneOf(DUTIES, input.duty)) problems.push(problem(`duty_${i}`, '职责必须是 district、city 或 expert', 'duty must be district, city or expert'));
    if (!Number.isInteger(days) || days < 1 || days > 90)
      problems.push(problem(`days_${i}`, '工作日须为1-90的整数', 'working days must be a whole number from 1 to 90'));
    return { key: s.key, type: s.type, nameZh, nameEn, duty: isOneOf(DUTIES, input.duty) ? input.duty : s.duty, days };
  });
  if (problems.length) throw validationFailed(problems);
  const res = await ReviewChain.updateOne(
    { _id: kind, version: expectedVersion },
    { $set: { steps: next, updatedBy: actor.email, updatedAt: now }, $inc: { version: 1 } },
  );
  if (res.matchedCount === 0) throw chainConflict((await chainOf(kind)).version);
  const changed = next
    .map((s, i) => ({ s, before: chain.steps[i]! }))
    .filter(({ s, before }) => s.nameZh !== before.nameZh || s.nameEn !== before.nameEn || s.duty !== before.duty || s.days !== before.days)
    .map(({ s, before }) => ({
      step: s.key,
      before: { nameZh: before.nameZh, nameEn: before.nameEn, duty: before.duty, days: before.days },
      after: { nameZh: s.nameZh, nameEn: s.nameEn, duty: s.duty, days: s.days },
    }));
  await audit.record({
    action: 'review_chain_update',
    actor: actor.email,
    subject: `review-chain:${kind}`,
    detail: { kind, version: expectedVersion + 1, changed },
  });
  return chainOf(kind);
}

function chainConflict(v: number): AppError {
  return new AppError('conflict', `审核链已被他人修改（当前版本 ${v}），请刷新后再改`, {
    messageEn: `Someone else changed this review chain (now version ${v}); reload and try again`,
  });
}

function applicationConflict(v: number): AppError {
  return new AppError('conflict', `该申报已被他人处理（当前版本 ${v}），请刷新后再决定`, {
    messageEn: `Someone else acted on this application (now version ${v}); reload and decide again`,
  });
}

// ─── Entering the chain (the submit hook) ───────────────────────────────────────────────────────

/** Where a (re)submitted application goes: the step that returned it, else the chain's first. */
function entryStep(app: Pick<ApplicationDoc, 'history'>, chain: ReviewChainDoc): ChainStep {
  const last = app.history.at(-1);
  const back = last?.decision === 'return' ? chain.steps.find((s) => s.key === last.step) : undefined;
  return back ?? chain.steps[0]!;
}

/**
 * Puts a submitted application on its chain: status in_review, the step, and the step's due date.
 * Called after every submit and resubmit (applications.ts submitHooks). A no-op for an application
 * that is not waiting (already in the chain, or withdrawn meanwhile).
 */
export async function enterChain(audit: EventRecorder, id: string, now = new Date()): Promise<boolean> {
  const app = await Application.findById(id).lean<ApplicationDoc>();
  if (!app || app.status !== 'submitted') return false;
  const chain = await chainOf(app.kind);
  const step = entryStep(app, chain);
  const stepDueAt = await addWorkingDays(now, step.days);
  const res = await Application.updateOne(
    { _id: id, version: app.version, status: 'submitted' },
    { $set: { status: 'in_review', step: step.key, stepDueAt, remindedAt: null }, $inc: { version: 1 } },
  );
  if (res.matchedCount === 0) return false;
  await audit.record({
    action: 'application_chain_enter',
    actor: 'system',
    subject: `application:${id}`,
    detail: { step: step.key, version: app.versions.at(-1)?.n ?? 0, dueAt: stepDueAt.toISOString() },
  });
  return true;
}

let hookAudit: EventRecorder | null = null;

/** Registers the submit hook with the recorder boot made (admin-routes.ts calls it with its deps). */
export function registerSubmitHook(audit: EventRecorder): void {
  if (hookAudit) {
    hookAudit = audit;
    return;
  }
  hookAudit = audit;
  submitHooks.push(async (id: string) => {
    if (hookAudit) await enterChain(hookAudit, id);
  });
}

// ─── Who may decide ─────────────────────────────────────────────────────────────────────────────

export interface Decider {
  user: PublicUser;
  duties: Duty[];
}

export async function deciderOf(user: PublicUser): Promise<Decider> {
  return { user, duties: await accountDuties(user.id) };
}

/** Whether the user may decide `step` (role editor or above, holding the step's duty). */
export function mayDecide(d: Decider, step: ChainStep | undefined): boolean {
  return Boolean(step && step.type !== 'notice' && roleAtLeast(d.user.role, 'editor') && d.duties.includes(step.duty));
}

// ─── Decisions ──────────────────────────────────────────────────────────────────────────────────

export interface DecisionInput {
  version: unknown;
  decision: unknown;
  reasons: unknown;
  comment: unknown;
}

/** The reasons as typed (one a line), cleaned: blank lines dropped. */
export function reasonLines(v: unknown): string[] {
  if (typeof v !== 'string') return [];
  return v
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

function decisionProblems(input: DecisionInput): { problems: FieldProblem[]; decision: StepDecision | null; reasons: string[]; comment: string } {
  const problems: FieldProblem[] = [];
  const decision = isOneOf(STEP_DECISIONS, input.decision) ? input.decision : null;
  if (!decision) problems.push(problem('decision', '请选择审核决定', 'choose a decision'));
  const reasons = reasonLines(input.reasons);
  if (typeof input.reasons === 'string' && input.reasons.length > REASONS_MAX * (REASON_MAX + 2)) {
    problems.push(problem('reasons', '理由过长', 'the reasons are too long'));
  } else if (reasons.length > REASONS_MAX) {
    problems.push(problem('reasons', `理由最多${REASONS_MAX}条`, `at most ${REASONS_MAX} reasons`));
  } else if (reasons.some((r) => [...r].length > REASON_MAX)) {
    problems.push(problem('reasons', `每条理由不能超过${REASON_MAX}个字符`, `each reason is at most ${REASON_MAX} characters`));
  }
  if ((decision === 'return' || decision === 'reject') && reasons.length === 0) {
    problems.push(problem('reasons', '退回补正或不通过须填写理由（每行一条）', 'give the reasons (one a line) to return or refuse'));
  }
  const comment = typeof input.comment === 'string' ? input.comment.trim() : '';
  if (input.comment !== undefined && typeof input.comment !== 'string') problems.push(problem('comment', '意见格式不正确', 'the comment has the wrong type'));
  if ([...comment].length > COMMENT_MAX)
    problems.push(problem('comment', `内部意见不能超过${COMMENT_MAX}个字符`, `the comment is at most ${COMMENT_MAX} characters`));
  return { problems, decision, reasons, comment };
}

export interface DecisionResult {
  app: ApplicationDoc;
  record: StepRecord;
}

/**
 * Decides the application's current step. Throws: not_found, forbidden (no duty for the step),
 * conflict (stale version, or the application moved on), validation_failed (reasons, an open
 * objection at the decision step, the registry refusing the listing).
 */
export async function decideStep(
  deps: Pick<WorkflowDeps, 'audit' | 'mailer' | 'config' | 'logger'>,
  decider: Decider,
  id: string,
  input: DecisionInput,
  now = new Date(),
): Promise<DecisionResult> {
  const app = await Application.findById(id).lean<ApplicationDoc>();
  if (!app || app.status === 'draft') throw notFound('申报', 'application');
  const chain = await chainOf(app.kind);
  const index = chain.steps.findIndex((s) => s.key === app.step);
  const step = index >= 0 ? chain.steps[index] : undefined;
  if (!mayDecide(decider, step)) {
    throw new AppError('forbidden', '您没有该审核步骤的职责', { messageEn: 'You do not hold the duty for this review step' });
  }
  const version =
    typeof input.version === 'string' && /^\d{1,9}$/.test(input.version) ? Number(input.version) : typeof input.version === 'number' ? input.version : NaN;
  if (!Number.isSafeInteger(version) || version < 1) throw new AppError('bad_request', '缺少版本号', { messageEn: 'The form has no version' });
  if (version !== app.version || app.status !== 'in_review') throw applicationConflict(app.version);
  const { problems, decision, reasons, comment } = decisionProblems(input);
  if (problems.length || !decision || !step) throw validationFailed(problems);

  if (step.type === 'decision') {
    const open = await Objection.find({ application: id, status: 'open' }, { _id: 1 }).limit(20).lean<Array<{ _id: string }>>();
    if (open.length) {
      const ids = open.map((o) => o._id).join('、');
      throw validationFailed([
        problem(
          'decision',
          `异议 ${ids} 尚未处理，处理后才能作出决定`,
          `objection ${open.map((o) => o._id).join(', ')} is still open; resolve it before deciding`,
        ),
      ]);
    }
  }

  const actor = decider.user.email;
  const appVersion = app.versions.at(-1)?.n ?? 0;
  const record: StepRecord = { step: step.key, version: appVersion, decision, reasons, comment, actor, at: now };
  const set: Record<string, unknown> = { remindedAt: null };
  let listing: ApplicationDoc['listing'] = null;
  let claimedVersion = app.version;
  if (decision === 'pass') {
    const next = chain.steps[index + 1];
    if (step.type === 'decision' || !next) {
      // Claim the application first (its version), so two reviewers deciding at once make one
      // listing: the loser gets a conflict. A refused listing leaves it undecided (a version on).
      const claimed = await Application.updateOne({ _id: id, version: app.version, status: 'in_review', step: step.key }, { $inc: { version: 1 } });
      if (claimed.matchedCount === 0)
        throw applicationConflict((await Application.findById(id, { version: 1 }).lean<{ version: number }>())?.version ?? app.version);
      claimedVersion = app.version + 1;
      listing = await createListing(app, { actor, now });
      Object.assign(set, { status: 'approved', step: '', stepDueAt: null, decidedAt: now, listing });
    } else {
      Object.assign(set, { status: 'in_review', step: next.key, stepDueAt: await addWorkingDays(now, next.days) });
      if (next.type === 'notice') set.notice = null;
    }
  } else if (decision === 'return') {
    Object.assign(set, { status: 'returned', stepDueAt: null });
  } else {
    Object.assign(set, { status: 'rejected', step: '', stepDueAt: null, decidedAt: now });
  }
  const res = await Application.updateOne(
    { _id: id, version: claimedVersion, status: 'in_review', step: step.key },
    { $set: set, $push: { history: record }, $inc: { version: 1 } },
  );
  if (res.matchedCount === 0) {
    if (listing) deps.logger.error({ application: id, listing }, 'review: the listing was made but the application moved on meanwhile');
    throw applicationConflict((await Application.findById(id, { version: 1 }).lean<{ version: number }>())?.version ?? app.version);
  }
  await deps.audit.record({
    action: 'application_step',
    actor,
    subject: `application:${id}`,
    detail: { step: step.key, decision, version: appVersion, ...(reasons.length ? { reasons } : {}), ...(listing ? { listing } : {}) },
    at: now,
  });
  const updated = (await Application.findById(id).lean<ApplicationDoc>())!;
  if (decision !== 'pass' || listing)
    await mailEnterprise(deps, updated, record, step).catch((err: unknown) =>
      deps.logger.error({ err, application: id }, 'review: mail to the enterprise failed'),
    );
  return { app: updated, record };
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Tells the enterprise of a return, a refusal or an approval (queued in the outbox, once). */
async function mailEnterprise(deps: Pick<WorkflowDeps, 'mailer' | 'config'>, app: ApplicationDoc, record: StepRecord, step: ChainStep): Promise<void> {
  const ent = await Enterprise.findById(app.enterprise, { email: 1, company: 1 }).lean<{ email: string; company: string }>();
  if (!ent) return;
  const link = `${deps.config.PUBLIC_BASE_URL.replace(/\/$/, '')}/apply/applications/${app._id}`;
  const what =
    record.decision === 'return'
      ? {
          zh: '需要补正',
          en: 'needs corrections',
          lead: `您的申报 ${app._id} 在“${step.nameZh}”环节被退回补正，理由如下：`,
          leadEn: `Your application ${app._id} was returned at the ${step.nameEn} step for these reasons:`,
        }
      : record.decision === 'reject'
        ? {
            zh: '未通过',
            en: 'was not approved',
            lead: `您的申报 ${app._id} 在“${step.nameZh}”环节未获通过，理由如下：`,
            leadEn: `Your application ${app._id} was not approved at the ${step.nameEn} step, for these reasons:`,
          }
        : {
            zh: '已通过',
            en: 'was approved',
            lead: `您的申报 ${app._id} 已通过审核并列入名录。`,
            leadEn: `Your application ${app._id} was approved and listed.`,
          };
  const reasons = record.reasons.map((r) => `- ${r}`);
  const text = [
    what.lead,
    ...reasons,
    '',
    record.decision === 'return' ? `请登录修改后重新提交：${link}` : `查看申报：${link}`,
    '',
    what.leadEn,
    ...reasons,
    '',
    link,
    '',
  ].join('\n');
  const html = [
    `<p>${esc(what.lead)}</p>`,
    reasons.length ? `<ul>${record.reasons.map((r) => `<li>${esc(r)}</li>`).join('')}</ul>` : '',
    `<p><a href="${esc(link)}">${esc(link)}</a></p>`,
    `<p lang="en">${esc(what.leadEn)}</p>`,
  ].join('');
  await deps.mailer.send({
    key: `application-step:${app._id}:${app.history.length}`,
    to: ent.email,
    subject: `【武汉品牌名录】申报 ${app._id} ${what.zh} / Application ${what.en}`,
    text,
    html,
  });
}
