import type { Engine } from '../../src/store/database.js';

/** Storage and integration suites run once per engine. */
export const ENGINES: readonly Engine[] = ['sqlite', 'postgres'];
