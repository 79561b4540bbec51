#!/usr/bin/env node
// The idcloud command's entry (the command itself: cli/command.ts). It stays small on purpose: `idcloud
// import` runs in a worker thread (cli/import-worker.ts), and a main thread that had loaded the whole
// command first would hold a second copy of its modules, some 45 MB.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isMainThread } from 'node:worker_threads';
import { runImportWorker } from './cli/import-worker.js';

// A worker thread sees the process's argv too; only the main thread is the command.
const invokedDirectly = isMainThread && process.argv[1] !== undefined && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
if (invokedDirectly) {
  const argv = process.argv.slice(2);
  const run = argv[0] === 'import' ? runImportWorker(argv) : import('./cli/command.js').then((command) => command.main(argv));
  run.then(
    (code) => {
      if (code !== 0) process.exit(code);
    },
    (err: unknown) => {
      process.stderr.write(`idcloud: ${(err as Error).message ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
