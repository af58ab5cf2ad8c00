/**
 * Enterprises' pages under /apply (public layout, their own session; enterprise-session.ts):
 *
 *   GET/POST /apply/register                        register (rate limited); answers "check your mail" whatever the address
 *   GET      /apply/verify?token=…                  the confirmation page (a button: mail scanners that fetch links confirm nothing)
 *   POST     /apply/verify                          confirm the address
 *   GET      /apply/verify/pending                  signed in, not confirmed: check your mail, resend
 *   POST     /apply/verify/resend                   a new link (same answer for any address)
 *   GET/POST /apply/login, POST /apply/logout       sign in (rate limited, lockout) and out
 *   GET      /apply                                 the enterprise's applications
 *   GET      /apply/new[?kind=…]                    start one: the kind, then its target
 *   POST     /apply/new                             create the draft → /apply/applications/<id>
 *   GET      /apply/applications/:id                the working copy (editable) or the submitted version (read-only)
 *   POST     /apply/applications/:id                save (action=save) or save and submit (action=submit)
 *   POST     /apply/applications/:id/files          add a document (multipart: _csrf, version, slot, file)
 *   POST     /apply/applications/:id/files/:fileId/delete   remove a document from the working copy
 *   GET      /apply/applications/:id/files/:fileId  download one of its documents (the owner only; others get 404)
 *   POST     /apply/applications/:id/withdraw       withdraw it
 */
import { Router, type Request, type Response } from 'express';
import { destroySession, regenerateSession, saveSession } from '../accounts/middleware.js';
import { sourceKey } from '../accounts/service.js';
import { AppError, type FieldProblem } from '../platform/errors.js';
import { isOneOf } from '../platform/guards.js';
import { formatTime, label, registerMessages, t, type Lang } from '../platform/i18n.js';
import { url } from '../platform/views.js';
import {
  EDITABLE,
  FIELDS_BY_KIND,
  SLOTS_BY_KIND,
  WITHDRAWABLE,
  addFile,
  checkCanAddFile,
  createApplication,
  fileOf,
  findMine,
  listMine,
  removeFile,
  saveApplication,
  submitApplication,
  targetsOf,
  withdrawApplication,
} from './applications.js';
import type { WorkflowDeps } from './deps.js';
import { documentKey, DOCUMENT_MAX_MB, MAX_DOCUMENTS, receiveDocument, sendDocument } from './documents.js';
import { enterpriseActor, enterpriseOf, requireEnterprise, safeApplyNext } from './enterprise-session.js';
import { formFields, registerEnterprise, resendVerification, signInEnterprise, verifyEnterprise } from './enterprise.js';
import { APPLICATION_KINDS, DEFAULT_CHAIN, ReviewChain, type ApplicationDoc, type ApplicationKind, type ChainStep } from './model.js';

registerMessages({
  'apply.title': ['企业申报', 'Applications'],
  'apply.nav': ['企业申报', 'Apply'],
  'apply.intro': [
    '企业可在此在线申报老字号、品牌认证、品牌名录和重点商标保护，上传材料，跟踪审核进度。',
    'Enterprises apply here for time-honored brand status, certification, the brand directory and famous-mark protection, upload documents and follow the review.',
  ],
  'apply.errors': ['请修改下面标出的内容。', 'Please correct the fields marked below.'],
  'apply.register.title': ['注册企业账户', 'Register an enterprise account'],
  'apply.register.submit': ['注册', 'Register'],
  'apply.register.have': ['已有账户？登录', 'Have an account? Sign in'],
  'apply.field.email': ['邮箱', 'E-mail'],
  'apply.field.password': ['密码', 'Password'],
  'apply.field.password.hint': ['至少 12 个字符。', 'At least 12 characters.'],
  'apply.field.company': ['企业名称', 'Company name'],
  'apply.field.creditCode': ['统一社会信用代码', 'Unified social credit code'],
  'apply.field.contactName': ['联系人', 'Contact name'],
  'apply.field.phone': ['联系电话', 'Phone'],
  'apply.checkMail.title': ['请查收确认邮件', 'Check your mail'],
  'apply.checkMail.text': [
    '如果该邮箱可以注册，我们已向它发送了一封确认邮件。请在 48 小时内打开邮件中的链接确认邮箱，确认后即可登录申报。',
    'If the address can be registered, we have sent it a confirmation mail. Open its link within 48 hours to confirm the address; then sign in and apply.',
  ],
  'apply.pending.text': [
    '您的邮箱尚未确认，确认后才能申报。请打开确认邮件中的链接；没有收到可以重新发送。',
    'Your e-mail address is not confirmed yet; you can apply once it is. Open the link in the confirmation mail, or send it again.',
  ],
  'apply.resend.title': ['重新发送确认邮件', 'Send the confirmation mail again'],
  'apply.resend.submit': ['重新发送', 'Send again'],
  'apply.resend.done': [
    '如果该邮箱有待确认的账户，新的确认邮件已发出（旧链接随即失效）。',
    'If the address has an account awaiting confirmation, a new mail is on its way (the old link no longer works).',
  ],
  'apply.verify.title': ['确认邮箱', 'Confirm your e-mail address'],
  'apply.verify.text': ['点击下面的按钮，确认这是您的企业申报账户邮箱。', 'Press the button to confirm this is the address of your account.'],
  'apply.verify.submit': ['确认邮箱', 'Confirm'],
  'apply.verify.done': ['邮箱已确认，请登录。', 'Your address is confirmed; please sign in.'],
  'apply.verify.bad': [
    '确认链接无效或已过期（有效期 48 小时）。请登录后重新发送确认邮件。',
    'The link is invalid or has expired (it works for 48 hours). Sign in and send the mail again.',
  ],
  'apply.login.title': ['企业登录', 'Enterprise sign-in'],
  'apply.login.submit': ['登录', 'Sign in'],
  'apply.login.failed': [
    '邮箱或密码不正确，或账户因多次失败已暂时锁定，请稍后再试。',
    'Wrong e-mail or password, or the account is locked for a while after repeated failures.',
  ],
  'apply.login.register': ['还没有账户？注册', 'No account yet? Register'],
  'apply.logout': ['退出登录', 'Sign out'],
  'apply.signedIn': ['当前账户：{company}（{email}）', 'Signed in as {company} ({email})'],
  'apply.dashboard.none': ['还没有申报。', 'No applications yet.'],
  'apply.dashboard.new': ['新建申报', 'New application'],
  'apply.dashboard.campaigns': ['老字号复核自查', 'Re-review self-reports'],
  'apply.th.id': ['申报编号', 'Number'],
  'apply.th.kind': ['类别', 'Kind'],
  'apply.th.brand': ['品牌', 'Brand'],
  'apply.th.status': ['状态', 'Status'],
  'apply.th.next': ['下一步', 'Next'],
  'apply.th.updated': ['更新时间', 'Updated'],
  'apply.kind.time_honored': ['老字号认定', 'Time-honored brand'],
  'apply.kind.certification': ['品牌认证', 'Certification'],
  'apply.kind.directory': ['品牌名录', 'Brand directory'],
  'apply.kind.famous': ['重点商标保护', 'Famous-mark protection'],
  'apply.status.draft': ['草稿', 'Draft'],
  'apply.status.submitted': ['已提交', 'Submitted'],
  'apply.status.in_review': ['审核中', 'In review'],
  'apply.status.returned': ['退回补正', 'Returned for correction'],
  'apply.status.notice': ['公示中', 'On public notice'],
  'apply.status.approved': ['已通过', 'Approved'],
  'apply.status.rejected': ['未通过', 'Not approved'],
  'apply.status.withdrawn': ['已撤回', 'Withdrawn'],
  'apply.next.draft': ['填写并提交', 'Complete and submit'],
  'apply.next.returned': ['按退回意见修改后重新提交', 'Correct it and submit again'],
  'apply.next.wait': ['等待审核', 'Wait for the review'],
  'apply.next.none': ['无', 'None'],
  'apply.new.title': ['新建申报', 'New application'],
  'apply.new.kind': ['申报类别', 'What you apply for'],
  'apply.new.target': ['申报级别', 'Level'],
  'apply.new.submit': ['创建草稿', 'Create the draft'],
  'apply.new.choose': ['下一步', 'Next'],
  'apply.app.title': ['申报 {id}', 'Application {id}'],
  'apply.app.kind': ['类别', 'Kind'],
  'apply.app.target': ['申报级别', 'Level'],
  'apply.app.status': ['状态', 'Status'],
  'apply.app.step': ['当前环节', 'Current step'],
  'apply.app.save': ['保存草稿', 'Save the draft'],
  'apply.app.submit': ['提交申报', 'Submit'],
  'apply.app.resubmit': ['重新提交', 'Submit again'],
  'apply.app.saved': ['已保存。', 'Saved.'],
  'apply.app.submitted': ['已提交，请等待审核。', 'Submitted; please wait for the review.'],
  'apply.app.uploaded': ['文件已上传。', 'The file was uploaded.'],
  'apply.app.removed': ['文件已删除。', 'The file was removed.'],
  'apply.app.withdrawnDone': ['申报已撤回。', 'The application was withdrawn.'],
  'apply.app.fields': ['申报信息', 'Details'],
  'apply.app.files': ['申报材料', 'Documents'],
  'apply.app.files.hint': [
    '每个文件不超过 {mb} MB，限 PDF、JPEG、PNG；每份申报最多 {n} 个文件。上传前请先保存已填写的内容。',
    'Up to {mb} MB per file, PDF, JPEG or PNG only; at most {n} files per application. Save what you typed before uploading.',
  ],
  'apply.app.required': ['（必填）', '(required)'],
  'apply.app.upload': ['上传', 'Upload'],
  'apply.app.file': ['选择文件', 'File'],
  'apply.app.remove': ['删除', 'Remove'],
  'apply.app.noFiles': ['尚未上传', 'Nothing uploaded'],
  'apply.app.frozen': ['已提交的第 {n} 版（{at}）', 'Submitted version {n} ({at})'],
  'apply.app.readonly': ['申报已提交，审核期间不能修改。', 'The application has been submitted and cannot be changed during the review.'],
  'apply.app.history': ['审核记录', 'Review history'],
  'apply.app.noHistory': ['暂无审核记录。', 'No review decisions yet.'],
  'apply.app.reasons': ['原因', 'Reasons'],
  'apply.app.returnedNote': [
    '申报被退回补正，请按下面的原因修改后重新提交。',
    'The application was returned; correct it as the reasons below say and submit again.',
  ],
  'apply.app.withdraw': ['撤回申报', 'Withdraw the application'],
  'apply.app.conflict': [
    '该申报在您打开页面后已有变动（可能在另一窗口中修改过）。下面是最新内容，您填写的内容保留在表单中，请核对后再保存。',
    'The application changed after you opened this page (perhaps in another window). The latest state is below and your input is kept in the form; check it and save again.',
  ],
  'apply.decision.pass': ['通过', 'Passed'],
  'apply.decision.return': ['退回补正', 'Returned'],
  'apply.decision.reject': ['不通过', 'Refused'],
  'apply.back': ['返回我的申报', 'Back to my applications'],
  'apply.download': ['下载', 'Download'],
});

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function errorsByField(lang: Lang, problems: FieldProblem[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of problems) out[p.field] ??= lang === 'en' ? p.messageEn : p.message;
  return out;
}

const isFieldError = (err: unknown): err is AppError =>
  err instanceof AppError && (err.code === 'validation_failed' || err.code === 'payload_too_large') && err.fields.length > 0;

const kb = (size: number) => `${Math.max(1, Math.round(size / 1024))} KB`;

async function chainOf(kind: ApplicationKind): Promise<readonly ChainStep[]> {
  const doc = await ReviewChain.findById(kind).lean();
  return doc?.steps?.length ? doc.steps : DEFAULT_CHAIN;
}

export function enterpriseRoutes(deps: WorkflowDeps): Router {
  const router = Router();
  const guard = requireEnterprise();
  const { audit } = deps;
  const mailCtx = { audit, mailer: deps.mailer, publicBaseUrl: deps.config.PUBLIC_BASE_URL };
  const policy = { maxFailures: deps.config.LOGIN_MAX_FAILURES, lockMinutes: deps.config.LOGIN_LOCK_MINUTES };
  const page = (res: Response, status: number, view: string, data: Record<string, unknown>) =>
    res
      .status(status)
      .type('html')
      .send(deps.render(view, { ...res.locals, noindex: true, ...data }));
  const message = (res: Response, status: number, title: string, text: string, more: Record<string, unknown> = {}) =>
    page(res, status, 'apply/message', { title, text, ...more });

  // ─── Registration and confirmation ──────────────────────────────────────────────────────────

  const registerPage = (res: Response, status: number, values: Record<string, string> = {}, errors: Record<string, string> = {}) => {
    const lang = res.locals.lang;
    page(res, status, 'apply/register', {
      title: t(lang, 'apply.register.title'),
      action: url(lang, '/apply/register'),
      loginHref: url(lang, '/apply/login'),
      values,
      errors,
      hasErrors: Object.keys(errors).length > 0,
    });
  };

  router.get('/register', (_req, res) => registerPage(res, 200));

  router.post('/register', deps.limits.register, async (req, res) => {
    const lang = res.locals.lang;
    const form = formFields(req.body);
    try {
      await registerEnterprise(mailCtx, form);
    } catch (err) {
      if (isFieldError(err)) {
        const { password: _pw, _csrf, ...values } = form;
        return registerPage(res, 400, values, errorsByField(lang, err.fields));
      }
      throw err;
    }
    message(res, 200, t(lang, 'apply.checkMail.title'), t(lang, 'apply.checkMail.text'), {
      resendAction: url(lang, '/apply/verify/resend'),
      resendEmail: form.email ?? '',
    });
  });

  router.get('/verify', (req, res) => {
    const lang = res.locals.lang;
    const token = str(req.query.token) ?? '';
    page(res, 200, 'apply/verify', { title: t(lang, 'apply.verify.title'), action: url(lang, '/apply/verify'), token: token.slice(0, 100) });
  });

  router.post('/verify', async (req, res) => {
    const lang = res.locals.lang;
    const email = await verifyEnterprise(audit, formFields(req.body).token);
    if (!email) return message(res, 400, t(lang, 'apply.verify.title'), t(lang, 'apply.verify.bad'), { loginHref: url(lang, '/apply/login') });
    message(res, 200, t(lang, 'apply.verify.title'), t(lang, 'apply.verify.done'), { loginHref: url(lang, '/apply/login') });
  });

  router.get('/verify/pending', (_req, res) => {
    const lang = res.locals.lang;
    if (res.locals.enterprise) return res.redirect(303, url(lang, '/apply'));
    const pending = res.locals.pendingEnterprise;
    if (!pending) return res.redirect(303, url(lang, '/apply/login'));
    message(res, 200, t(lang, 'apply.checkMail.title'), t(lang, 'apply.pending.text'), {
      resendAction: url(lang, '/apply/verify/resend'),
      resendEmail: pending.email,
      signedIn: true,
    });
  });

  router.post('/verify/resend', deps.limits.register, async (req, res) => {
    const lang = res.locals.lang;
    const email = res.locals.pendingEnterprise?.email ?? formFields(req.body).email ?? '';
    await resendVerification(mailCtx, email);
    message(res, 200, t(lang, 'apply.resend.title'), t(lang, 'apply.resend.done'), {
      resendAction: url(lang, '/apply/verify/resend'),
      resendEmail: email.slice(0, 254),
    });
  });

  // ─── Signing in and out ─────────────────────────────────────────────────────────────────────

  const loginPage = (req: Request, res: Response, status: number, o: { email?: string; failed?: boolean } = {}) => {
    const lang = res.locals.lang;
    page(res, status, 'apply/login', {
      title: t(lang, 'apply.login.title'),
      action: url(lang, '/apply/login'),
      next: safeApplyNext(str(req.query.next) ?? str(formFields(req.body).next)) ?? '',
      registerHref: url(lang, '/apply/register'),
      email: o.email ?? '',
      failed: o.failed ?? false,
    });
  };

  router.get('/login', (req, res) => {
    if (res.locals.enterprise) return res.redirect(303, url(res.locals.lang, '/apply'));
    loginPage(req, res, 200);
  });

  router.post('/login', deps.limits.signIn, async (req, res) => {
    const lang = res.locals.lang;
    const form = formFields(req.body);
    const result = await signInEnterprise(audit, form.email, form.password, policy, sourceKey(req.ip));
    if (!result.ok) return loginPage(req, res, 401, { email: (form.email ?? '').slice(0, 254), failed: true });
    // A fresh session (and CSRF token) at sign-in: whatever id the browser had before is dropped.
    await regenerateSession(req);
    req.session.enterpriseId = result.id;
    req.session.authAt = Date.now();
    await saveSession(req);
    const next = safeApplyNext(form.next);
    res.redirect(303, result.verified ? (next ?? url(lang, '/apply')) : url(lang, '/apply/verify/pending'));
  });

  router.post('/logout', async (req, res) => {
    const who = res.locals.enterprise ?? res.locals.pendingEnterprise;
    if (who) await audit.record({ action: 'enterprise_sign_out', actor: enterpriseActor(who), subject: enterpriseActor(who) });
    await destroySession(req);
    res.clearCookie('wbr.ent', { path: '/apply' });
    res.redirect(303, url(res.locals.lang, '/apply/login'));
  });

  // ─── The enterprise's applications ──────────────────────────────────────────────────────────

  const statusText = (lang: Lang, s: string) => t(lang, `apply.status.${s}`);
  const nextText = (lang: Lang, s: string) =>
    s === 'draft'
      ? t(lang, 'apply.next.draft')
      : s === 'returned'
        ? t(lang, 'apply.next.returned')
        : ['submitted', 'in_review', 'notice'].includes(s)
          ? t(lang, 'apply.next.wait')
          : t(lang, 'apply.next.none');

  router.get('/', guard, async (_req, res) => {
    const lang = res.locals.lang;
    const me = enterpriseOf(res)!;
    const apps = await listMine(me);
    page(res, 200, 'apply/dashboard', {
      title: t(lang, 'apply.title'),
      company: me.company,
      email: me.email,
      newHref: url(lang, '/apply/new'),
      campaignsHref: url(lang, '/apply/campaigns'),
      logoutAction: url(lang, '/apply/logout'),
      rows: apps.map((a) => ({
        id: a._id,
        href: url(lang, `/apply/applications/${a._id}`),
        kind: t(lang, `apply.kind.${a.kind}`),
        target: a.target ? label(lang, a.target) : '',
        brand: typeof a.fields.brandName === 'string' ? a.fields.brandName : '',
        status: statusText(lang, a.status),
        state: a.status,
        next: nextText(lang, a.status),
        updated: formatTime(lang, a.updatedAt),
      })),
    });
  });

  router.get('/new', guard, (req, res) => {
    const lang = res.locals.lang;
    const kind = str(req.query.kind);
    const chosen = isOneOf(APPLICATION_KINDS, kind) ? kind : null;
    page(res, 200, 'apply/new', {
      title: t(lang, 'apply.new.title'),
      chooseAction: url(lang, '/apply/new'),
      action: url(lang, '/apply/new'),
      backHref: url(lang, '/apply'),
      kinds: APPLICATION_KINDS.map((k) => ({ value: k, label: t(lang, `apply.kind.${k}`), selected: k === chosen })),
      chosen,
      chosenLabel: chosen ? t(lang, `apply.kind.${chosen}`) : '',
      targets: chosen ? targetsOf(chosen).map((x) => ({ value: x, label: label(lang, x) })) : [],
      errors: {},
    });
  });

  router.post('/new', guard, async (req, res) => {
    const lang = res.locals.lang;
    const form = formFields(req.body);
    try {
      const app = await createApplication(audit, enterpriseOf(res)!, form.kind, form.target ?? '');
      res.redirect(303, url(lang, `/apply/applications/${app._id}`));
    } catch (err) {
      if (!isFieldError(err)) throw err;
      const chosen = isOneOf(APPLICATION_KINDS, form.kind) ? form.kind : null;
      page(res, 400, 'apply/new', {
        title: t(lang, 'apply.new.title'),
        chooseAction: url(lang, '/apply/new'),
        action: url(lang, '/apply/new'),
        backHref: url(lang, '/apply'),
        kinds: APPLICATION_KINDS.map((k) => ({ value: k, label: t(lang, `apply.kind.${k}`), selected: k === chosen })),
        chosen,
        chosenLabel: chosen ? t(lang, `apply.kind.${chosen}`) : '',
        targets: chosen ? targetsOf(chosen).map((x) => ({ value: x, label: label(lang, x) })) : [],
        errors: errorsByField(lang, err.fields),
        hasErrors: true,
      });
    }
  });

  const appPage = async (
    req: Request,
    res: Response,
    status: number,
    o: { app?: ApplicationDoc; typed?: Record<string, string>; errors?: Record<string, string>; conflict?: boolean } = {},
  ) => {
    const lang = res.locals.lang;
    const me = enterpriseOf(res)!;
    const app = o.app ?? (await findMine(me, req.params.id));
    const base = `/apply/applications/${app._id}`;
    const editable = EDITABLE.includes(app.status);
    const latest = app.versions.at(-1) ?? null;
    const chain = await chainOf(app.kind);
    const stepName = (key: string) => {
      const s = chain.find((x) => x.key === key) ?? DEFAULT_CHAIN.find((x) => x.key === key);
      return s ? (lang === 'en' ? s.nameEn : s.nameZh) : key;
    };
    const errors = o.errors ?? {};
    const typed = o.typed ?? {};
    const shown = editable ? app.fields : (latest?.fields ?? app.fields);
    const value = (name: string) => (name in typed && name !== 'creditCode' ? typed[name]! : typeof shown[name] === 'string' ? (shown[name] as string) : '');
    const done = str(req.query.done);
    const notice = done && ['saved', 'submitted', 'uploaded', 'removed', 'withdrawnDone'].includes(done) ? t(lang, `apply.app.${done}`) : '';
    const fileRow = (x: ApplicationDoc['files'][number], removable: boolean) => ({
      name: x.name,
      size: kb(x.size),
      href: url(lang, `${base}/files/${x.id}`),
      removeAction: removable ? url(lang, `${base}/files/${x.id}/delete`) : null,
    });
    const files = editable ? app.files : (latest?.files ?? app.files);
    const targets = targetsOf(app.kind);
    page(res, status, 'apply/application', {
      title: t(lang, 'apply.app.title', { id: app._id }),
      id: app._id,
      backHref: url(lang, '/apply'),
      kind: t(lang, `apply.kind.${app.kind}`),
      target: app.target ? label(lang, app.target) : '',
      status: statusText(lang, app.status),
      state: app.status,
      step: app.step ? stepName(app.step) : '',
      editable,
      returned: app.status === 'returned',
      notice,
      conflict: o.conflict ?? false,
      errors,
      hasErrors: Object.keys(errors).length > 0,
      action: url(lang, base),
      uploadAction: url(lang, `${base}/files`),
      withdrawAction: WITHDRAWABLE.includes(app.status) ? url(lang, `${base}/withdraw`) : null,
      version: app.version,
      targetChoices:
        editable && targets.length ? targets.map((x) => ({ value: x, label: label(lang, x), selected: x === (typed.target ?? app.target) })) : null,
      fields: FIELDS_BY_KIND[app.kind].map((d) => ({
        name: d.name,
        id: `app-${d.name}`,
        label: lang === 'en' ? d.en : d.zh,
        hint: lang === 'en' ? d.hintEn : d.hintZh,
        required: d.required,
        textarea: d.type === 'textarea',
        select: d.type === 'select',
        readonly: d.readonly ?? false,
        max: d.max,
        value: value(d.name),
        options: (d.options ?? []).map((x) => ({ value: x, label: label(lang, x), selected: x === value(d.name) })),
        error: errors[d.name],
      })),
      filesHint: t(lang, 'apply.app.files.hint', { mb: DOCUMENT_MAX_MB, n: MAX_DOCUMENTS }),
      full: app.files.length >= MAX_DOCUMENTS,
      slots: SLOTS_BY_KIND[app.kind].map((s) => ({
        key: s.key,
        label: lang === 'en' ? s.en : s.zh,
        required: s.required,
        error: errors[`slot.${s.key}`] ?? (errors.file && typed.slot === s.key ? errors.file : undefined),
        files: files.filter((x) => x.slot === s.key).map((x) => fileRow(x, editable)),
      })),
      frozen: latest ? t(lang, 'apply.app.frozen', { n: latest.n, at: formatTime(lang, latest.submittedAt) }) : '',
      // The enterprise sees what was decided and why — never the reviewers' internal comments.
      history: app.history.map((h) => ({
        step: stepName(h.step),
        decision: t(lang, `apply.decision.${h.decision}`),
        version: h.version,
        at: formatTime(lang, h.at),
        reasons: h.decision === 'return' || h.decision === 'reject' ? h.reasons : [],
      })),
    });
  };

  router.get('/applications/:id', guard, async (req, res) => appPage(req, res, 200));

  router.post('/applications/:id', guard, async (req, res) => {
    const lang = res.locals.lang;
    const me = enterpriseOf(res)!;
    const id = String(req.params.id);
    const form = formFields(req.body);
    let app: ApplicationDoc;
    try {
      app = await saveApplication(audit, me, id, form);
    } catch (err) {
      if (isFieldError(err)) return appPage(req, res, 400, { typed: form, errors: errorsByField(lang, err.fields) });
      if (err instanceof AppError && err.code === 'conflict') return appPage(req, res, 409, { typed: form, conflict: true });
      throw err;
    }
    if (form.action !== 'submit') return res.redirect(303, url(lang, `/apply/applications/${id}`, { done: 'saved' }));
    try {
      await submitApplication(audit, me, id, String(app.version), {
        onHookError: (e) => deps.logger.error({ err: e, application: id }, 'applications: a submit hook failed'),
      });
    } catch (err) {
      if (isFieldError(err)) return appPage(req, res, 400, { app, errors: errorsByField(lang, err.fields) });
      throw err;
    }
    res.redirect(303, url(lang, `/apply/applications/${id}`, { done: 'submitted' }));
  });

  router.post('/applications/:id/files', guard, async (req, res) => {
    const lang = res.locals.lang;
    const me = enterpriseOf(res)!;
    const id = String(req.params.id);
    const app = await checkCanAddFile(me, id).catch(async (err: unknown) => {
      // Read (and drop) the body, so the browser gets the answer rather than a reset connection.
      req.resume();
      throw err;
    });
    let received;
    try {
      received = await receiveDocument(req, deps, { owner: app._id, slots: SLOTS_BY_KIND[app.kind].map((s) => s.key) });
    } catch (err) {
      if (isFieldError(err)) return appPage(req, res, err.status, { app, errors: errorsByField(lang, err.fields), typed: {} });
      throw err;
    }
    if (!received.file)
      return appPage(req, res, 400, { app, errors: { file: t(lang, 'apply.app.file') + (lang === 'en' ? ': choose a file' : '：请选择文件') } });
    await addFile(audit, deps.documents, me, id, received.file);
    res.redirect(303, url(lang, `/apply/applications/${id}`, { done: 'uploaded' }));
  });

  router.post('/applications/:id/files/:fileId/delete', guard, async (req, res) => {
    const lang = res.locals.lang;
    await removeFile(audit, deps.documents, enterpriseOf(res)!, String(req.params.id), req.params.fileId);
    res.redirect(303, url(lang, `/apply/applications/${String(req.params.id)}`, { done: 'removed' }));
  });

  router.get('/applications/:id/files/:fileId', guard, async (req, res) => {
    const app = await findMine(enterpriseOf(res)!, req.params.id);
    const file = fileOf(app, req.params.fileId);
    if (!file) throw new AppError('not_found', '找不到该文件', { messageEn: 'No such file' });
    await sendDocument(res, deps.documents, documentKey(app._id, file.id), file);
  });

  router.post('/applications/:id/withdraw', guard, async (req, res) => {
    const lang = res.locals.lang;
    const id = String(req.params.id);
    try {
      await withdrawApplication(audit, enterpriseOf(res)!, id, formFields(req.body).version);
    } catch (err) {
      if (err instanceof AppError && err.code === 'conflict') return appPage(req, res, 409, { conflict: true });
      throw err;
    }
    res.redirect(303, url(lang, `/apply/applications/${id}`, { done: 'withdrawnDone' }));
  });

  return router;
}
