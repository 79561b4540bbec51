// `idcloud import` runs in a worker thread whose young generation is capped. The import makes short-lived
// garbage at a high rate, and V8 grows the young generation of the main thread to its full 3 × 16 MB
// under it: peak RSS sat at 185–200 MB for a million users. With 12 MB the rate stays the same (the
// semi-space knob in docs/benchmarks.md showed it first). The thread runs the same `main` with the same
// arguments; its exit code is the command's.
import { isMainThread, Worker, workerData } from 'node:worker_threads';

/** Young generation of the import's thread, in MB (V8 splits it in three: 4 MB semi-spaces). */
export const IMPORT_YOUNG_GENERATION_MB = 12;

interface ImportWorkerData {
  argv: string[];
  /** The process's stderr is a terminal (a worker's own stderr never is: it is piped to the process's). */
  stderrTty: boolean;
}

function isImportWorkerData(value: unknown): value is ImportWorkerData {
  const d = value as Partial<ImportWorkerData> | null;
  return typeof d === 'object' && d !== null && Array.isArray(d.argv) && typeof d.stderrTty === 'boolean';
}

/** Whether stderr is a terminal, seen from this thread. */
export function stderrIsTty(): boolean {
  if (!isMainThread && isImportWorkerData(workerData)) return workerData.stderrTty;
  return Boolean(process.stderr.isTTY);
}

/** Runs `idcloud <argv>` in the import's worker thread; resolves with its exit code. */
export function runImportWorker(argv: string[]): Promise<number> {
  return new Promise((resolve) => {
    const data: ImportWorkerData = { argv, stderrTty: Boolean(process.stderr.isTTY) };
    const worker = new Worker(new URL('./import-worker-main.js', import.meta.url), { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: IMPORT_YOUNG_GENERATION_MB } });
    let failed = false;
    worker.on('error', (err: Error) => {
      failed = true;
      process.stderr.write(`idcloud: unexpected error: ${err.message}\n`);
    });
    worker.on('exit', (code) => resolve(failed && code === 0 ? 1 : code));
  });
}

/** The worker's arguments, in the worker. */
export function importWorkerArgv(): string[] {
  if (isMainThread || !isImportWorkerData(workerData)) throw new Error('not the import worker');
  return workerData.argv;
}
