// Entry of the import's worker thread (see import-worker.ts).
import { main } from './command.js';
import { importWorkerArgv } from './import-worker.js';

process.exitCode = await main(importWorkerArgv());
