// The better-sqlite3 build for this Node version. Major 12 (built from source at install) crashes
// Node 24 when the garbage collector frees its statements; major 13 (N-API, prebuilt) fixes that but
// supports Node 22 and newer only. Both are installed (13 under the alias `better-sqlite3-napi`);
// the one that suits the running Node is loaded.
import { createRequire } from 'node:module';
import type BetterSqlite3 from 'better-sqlite3';

const require = createRequire(import.meta.url);
const nodeMajor = Number(process.versions.node.split('.')[0]);

export const SQLITE_PACKAGE = nodeMajor >= 22 ? 'better-sqlite3-napi' : 'better-sqlite3';

const SQLite = require(SQLITE_PACKAGE) as typeof BetterSqlite3;
export default SQLite;
export type SqliteDatabase = BetterSqlite3.Database;
