/**
 * Where the city stands against each target: the current value, how far along it is, and where
 * the number comes from (a registry count, or the latest figure a regulator entered).
 */
import type { AwardDoc, FigureObservationDoc } from './models.js';
import type { RegistryStats } from '../registries/counts.js';
import type { FigureSummary } from './service.js';
import { TARGETS, type FigureKey, type TargetDef } from './targets.js';

export type TargetOrigin = { type: 'registry'; computedAt: Date } | { type: 'figure'; observation: FigureObservationDoc | null };

export interface TargetProgress {
  def: TargetDef;
  /** null: a figure nobody has entered yet. */
  current: number | null;
  /** current / target in percent (may exceed 100), one decimal; null without a value. */
  percent: number | null;
  met: boolean;
  origin: TargetOrigin;
}

/** Counts the awards a target asks for: each award, distinct brands, or distinct companies. */
export function countAwards(awards: readonly AwardDoc[], names: readonly string[], distinct: 'none' | 'brand' | 'company'): number {
  const relevant = awards.filter((a) => !a.withdrawn && names.includes(a.award));
  if (distinct === 'none') return relevant.length;
  return new Set(relevant.map((a) => (distinct === 'brand' ? String(a.brand) : a.creditCode))).size;
}

function registryValue(def: TargetDef, stats: RegistryStats, awards: readonly AwardDoc[]): number {
  if (def.source.type !== 'registry') return 0;
  const c = def.source.count;
  if (c.kind === 'gi') return stats.giListed;
  if (c.kind === 'certificates') return stats.validCertificatesByLevel[c.level] ?? 0;
  return countAwards(awards, c.awards, c.distinct);
}

/** Progress for every target of the plan, in the plan's order. */
export function targetProgress(stats: RegistryStats, figures: Record<FigureKey, FigureSummary>, awards: readonly AwardDoc[]): TargetProgress[] {
  return TARGETS.map((def) => {
    let current: number | null;
    let origin: TargetOrigin;
    if (def.source.type === 'figure') {
      const latest = figures[def.source.figure]?.latest ?? null;
      current = latest ? latest.value : null;
      origin = { type: 'figure', observation: latest };
    } else {
      current = registryValue(def, stats, awards);
      // Award counts are read fresh; registry counts are as of the last count.
      origin = { type: 'registry', computedAt: def.source.count.kind === 'awards' ? new Date() : stats.computedAt };
    }
    const percent = current === null ? null : Math.round((current / def.target) * 1000) / 10;
    return { def, current, percent, met: current !== null && current >= def.target, origin };
  });
}
