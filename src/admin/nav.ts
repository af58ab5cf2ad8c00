/**
 * The back office's shared words and navigation. Each admin feature registers its own strings
 * (registerMessages) beside its code; these are the ones the layout needs.
 */
import type { RequestHandler } from 'express';
import { registerMessages, t } from '../platform/i18n.js';
import { url } from '../platform/views.js';

import { ROLE_RANK, type Role } from '../accounts/roles.js';

registerMessages({
  'admin.name': ['武汉品牌名录 · 管理后台', 'Wuhan Brand Registry · Back office'],
  'admin.nav': ['后台导航', 'Back-office navigation'],
  'admin.logout': ['退出登录', 'Sign out'],
  'admin.publicSite': ['返回公众网站', 'Back to the public site'],
  'admin.role.admin': ['管理员', 'administrator'],
  'admin.role.editor': ['编辑', 'editor'],
  'admin.role.viewer': ['只读', 'viewer'],
  'admin.nav.home': ['概览', 'Overview'],
  'admin.nav.directory': ['商标品牌名录', 'Directory'],
  'admin.nav.famous': ['驰名商标台账', 'Famous-mark ledger'],
  'admin.nav.timeHonored': ['老字号', 'Time-honored'],
  'admin.nav.certified': ['精品认定', 'Certifications'],
  'admin.nav.brands': ['品牌', 'Brands'],
  'admin.nav.due': ['待办', 'Due'],
  'admin.nav.reports': ['纠错举报', 'Reports'],
  'admin.nav.applications': ['申报审核', 'Applications'],
  'admin.nav.notices': ['公示', 'Notices'],
  'admin.nav.objections': ['公示异议', 'Objections'],
  'admin.nav.calendar': ['工作日历', 'Calendar'],
  'admin.nav.campaigns': ['复核', 'Re-reviews'],
  'admin.nav.import': ['导入导出', 'Import & export'],
  'admin.nav.stats': ['统计', 'Statistics'],
  'admin.nav.audit': ['审计日志', 'Audit trail'],
  'admin.nav.users': ['账户', 'Accounts'],
  'admin.nav.reference': ['参考数据', 'Reference data'],
  'admin.nav.account': ['我的账户', 'My account'],
});

const NAV: Array<[path: string, key: string, min: Role]> = [
  ['/admin', 'admin.nav.home', 'viewer'],
  ['/admin/brands', 'admin.nav.brands', 'viewer'],
  ['/admin/directory', 'admin.nav.directory', 'viewer'],
  ['/admin/famous', 'admin.nav.famous', 'viewer'],
  ['/admin/time-honored', 'admin.nav.timeHonored', 'viewer'],
  ['/admin/certified', 'admin.nav.certified', 'viewer'],
  ['/admin/due', 'admin.nav.due', 'viewer'],
  ['/admin/reports', 'admin.nav.reports', 'viewer'],
  ['/admin/applications', 'admin.nav.applications', 'viewer'],
  ['/admin/notices', 'admin.nav.notices', 'viewer'],
  ['/admin/objections', 'admin.nav.objections', 'viewer'],
  ['/admin/calendar', 'admin.nav.calendar', 'viewer'],
  ['/admin/campaigns', 'admin.nav.campaigns', 'viewer'],
  ['/admin/outbox', 'admin.nav.outbox', 'admin'],
  ['/admin/import', 'admin.nav.import', 'viewer'],
  ['/admin/stats', 'admin.nav.stats', 'viewer'],
  ['/admin/audit', 'admin.nav.audit', 'viewer'],
  ['/admin/users', 'admin.nav.users', 'admin'],
  ['/admin/reference', 'admin.nav.reference', 'admin'],
  ['/admin/account', 'admin.nav.account', 'viewer'],
];

/** What the back office puts on res.locals for its layout. */
declare module 'express-serve-static-core' {
  interface Locals {
    layout?: string;
    adminNav?: Array<{ href: string; label: string; current: boolean }>;
  }
}

/** res.locals.adminNav for the signed-in user (links they may not use are not shown). */
export function adminNav(): RequestHandler {
  return (req, res, next) => {
    const lang = res.locals.lang;
    const user = res.locals.user;
    res.locals.layout = 'admin';
    if (user) {
      const here = req.baseUrl + req.path;
      res.locals.adminNav = NAV.filter(([, , min]) => ROLE_RANK[user.role] >= ROLE_RANK[min]).map(([p, key]) => ({
        href: url(lang, p),
        label: t(lang, key),
        current: p === '/admin' ? here === '/admin' || here === '/admin/' : here.startsWith(p),
      }));
    }
    next();
  };
}
