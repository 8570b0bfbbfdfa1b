// Keeps ingesting trace files as they grow. Paths may not exist yet (a run's trace appears a moment
// after the run starts): missing ones are polled for, then watched. All ingests run one at a time.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import type { Db } from '../db/open.js';
import { findTraceFiles, ingestFiles, type IngestSummary } from './index.js';
import { TraceStore } from './store.js';

export interface TraceWatch {
  /** Ingests whatever is complete in the watched paths right now; resolves when it is in the database. */
  flush(): Promise<IngestSummary>;
  close(): Promise<void>;
}

export interface TraceWatchOptions {
  /** After each ingest the watcher starts by itself (not flush's). */
  onIngest?: (summary: IngestSummary) => void;
  onError?: (error: Error) => void;
  /** Wait this long after a change before ingesting, to take several appends at once. */
  debounceMs?: number;
  /** How often to look for paths that do not exist yet. */
  pollMs?: number;
}

export async function startTraceWatch(db: Db, paths: string[], options: TraceWatchOptions = {}): Promise<TraceWatch> {
  const store = new TraceStore(db);
  const roots = paths.map((p) => resolve(p));
  const waiting = new Set(roots);
  const changed = new Set<string>();
  let queue: Promise<unknown> = Promise.resolve();
  let debounce: NodeJS.Timeout | undefined;

  const serially = <T>(job: () => Promise<T>): Promise<T> => {
    const run = queue.then(job);
    queue = run.catch(() => undefined);
    return run;
  };
  const ingestAll = () => serially(async () => ingestFiles(store, await findTraceFiles(roots, { missingOk: true })));
  const background = (job: Promise<IngestSummary>) => void job.then(options.onIngest, (e: Error) => options.onError?.(e));

  const watcher: FSWatcher = watch([], {
    ignoreInitial: true,
    ignored: (path, stats) => stats?.isFile() === true && !path.endsWith('.jsonl'),
  });
  const onChange = (path: string) => {
    if (!path.endsWith('.jsonl')) return;
    changed.add(path);
    clearTimeout(debounce);
    debounce = setTimeout(() => {
      const files = [...changed].sort();
      changed.clear();
      background(serially(() => ingestFiles(store, files)));
    }, options.debounceMs ?? 100);
  };
  watcher.on('add', onChange).on('change', onChange);
  watcher.on('error', (e) => options.onError?.(e as Error));

  const watchAppeared = () => {
    const appeared = [...waiting].filter((p) => existsSync(p));
    if (appeared.length === 0) return;
    for (const p of appeared) waiting.delete(p);
    watcher.add(appeared);
    // What was written before the watcher saw the path.
    background(ingestAll());
    if (waiting.size === 0) clearInterval(poll);
  };
  const poll = setInterval(watchAppeared, options.pollMs ?? 250);
  watchAppeared();
  await ingestAll();

  return {
    flush: () => ingestAll(),
    close: async () => {
      clearInterval(poll);
      clearTimeout(debounce);
      await watcher.close();
      await queue;
    },
  };
}
