import path from 'node:path';
import type { Config } from '../config/index.js';
import { EmbeddedSearchIndex } from './embedded.js';
import type { SearchIndex } from './port.js';
import { Synonyms } from './synonyms.js';

/**
 * The configured adapter: Meilisearch when MEILI_URL is set, otherwise the embedded engine, with
 * the synonym groups of SEARCH_SYNONYMS_FILE (or the defaults). A malformed file throws here.
 */
export async function createSearchIndex(config: Config): Promise<SearchIndex> {
  const synonyms = Synonyms.load(config.SEARCH_SYNONYMS_FILE);
  if (config.MEILI_URL) {
    const { MeiliSearchIndex } = await import('./meili.js');
    return new MeiliSearchIndex({
      host: config.MEILI_URL,
      apiKey: config.MEILI_MASTER_KEY!,
      searchKey: config.MEILI_SEARCH_KEY,
      indexUid: config.MEILI_INDEX,
      synonyms,
    });
  }
  return new EmbeddedSearchIndex(config.SEARCH_INDEX_PATH ?? path.join(config.DATA_DIR, 'search', 'index.sqlite'), { synonyms });
}
