/**
 * Issue #12 item 3: a brand on several time-honored lists holds one listing per tier.
 *
 * Stored listings already satisfy the new key (the old one allowed one listing per brand), so no
 * document changes: the step drops the old unique index on `brand` — which would refuse a brand's
 * second listing — and creates the unique {brand, tier} index, plus the brand name index the
 * import matches brands without a credit code by (item 6). Run twice, the second run finds both
 * indexes in place and the old one gone, and changes nothing.
 */
import { errorCode } from '../../platform/guards.js';
import { Brand, TIME_HONORED_LISTING_INDEX, TimeHonored } from '../models.js';
import type { MigrationStep } from './step.js';

interface IndexInfo {
  name?: string;
  key: Record<string, unknown>;
  unique?: boolean;
}

/** A collection's indexes; none when the collection does not exist yet (NamespaceNotFound). */
async function indexesOf(collection: { indexes(): Promise<unknown[]> }): Promise<IndexInfo[]> {
  try {
    return (await collection.indexes()) as IndexInfo[];
  } catch (err) {
    if (errorCode(err) === 26) return [];
    throw err;
  }
}

const sameKey = (a: Record<string, unknown>, b: Record<string, number>) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => Number(a[k]) === v);

export const step: MigrationStep = {
  id: '2026-12-item3-time-honored-listings',
  describe: 'time-honored: unique listing per (brand, tier) instead of per brand; brand name index (changes indexes, not documents)',
  async run(log) {
    let changed = 0;
    const listings = await indexesOf(TimeHonored.collection);
    for (const ix of listings) {
      if (ix.unique && sameKey(ix.key, { brand: 1 }) && ix.name) {
        await TimeHonored.collection.dropIndex(ix.name);
        log(`dropped the unique index ${ix.name} on timehonoreds.brand`);
        changed++;
      }
    }
    if (!listings.some((ix) => sameKey(ix.key, { brand: 1, tier: 1 }))) {
      await TimeHonored.collection.createIndex({ brand: 1, tier: 1 }, { unique: true, name: TIME_HONORED_LISTING_INDEX });
      log(`created the unique index ${TIME_HONORED_LISTING_INDEX} on timehonoreds {brand, tier}`);
      changed++;
    }
    if (!(await indexesOf(Brand.collection)).some((ix) => sameKey(ix.key, { name: 1 }))) {
      await Brand.collection.createIndex({ name: 1 }, { name: 'name_1' });
      log('created the index name_1 on brands.name');
      changed++;
    }
    if (changed === 0) log('time-honored listing indexes already in place');
    return { changed };
  },
};
