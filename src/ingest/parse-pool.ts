// Where parsing runs: in the parse worker when the compiled one is there (so reading and parsing overlap
// with the SQLite writes), else — running from source, as the unit tests do — in this thread. Same batches
// either way (batches.ts). One worker per process, idle between files; it never keeps the process alive.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { fromWire, parseBatches, type ParsedBatch } from './batches.js';
import type { WorkerReply, WorkerRequest } from './parse-worker.js';
import type { FilePosition } from './store.js';

const WORKER_FILE = fileURLToPath(new URL('./parse-worker.js', import.meta.url));

let worker: Worker | null = null;
let busy = false;
let lastId = 0;

function parseWorker(): Worker | null {
  if (worker) return worker;
  if (!import.meta.url.endsWith('.js') || !existsSync(WORKER_FILE)) return null;
  worker = new Worker(WORKER_FILE);
  worker.unref();
  worker.on('error', () => (worker = null));
  return worker;
}

async function* fromWorker(w: Worker, fd: number, from: FilePosition): AsyncGenerator<ParsedBatch> {
  const id = ++lastId;
  const queue: WorkerReply[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  const onMessage = (reply: WorkerReply) => {
    if (reply.id !== id) return; // a late reply to a request left early
    queue.push(reply);
    wake?.();
  };
  const onExit = () => onMessage({ type: 'error', id, message: 'the parse worker exited' });
  w.on('message', onMessage);
  w.once('exit', onExit);
  w.ref();
  busy = true;
  try {
    w.postMessage({ type: 'read', id, fd, from } satisfies WorkerRequest);
    for (;;) {
      while (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
      const reply = queue.shift()!;
      if (reply.type === 'error') {
        finished = true;
        throw new Error(`parsing failed: ${reply.message}`);
      }
      const batch = fromWire(reply.batch);
      if (batch.more) w.postMessage({ type: 'next', id } satisfies WorkerRequest); // parse the next while this one is written
      else finished = true;
      yield batch;
      if (!batch.more) return;
    }
  } finally {
    if (!finished) w.postMessage({ type: 'cancel', id } satisfies WorkerRequest);
    w.off('message', onMessage);
    w.off('exit', onExit);
    w.unref();
    busy = false;
  }
}

/**
 * The parsed batches of the open file `fd` after `from`; the last has `more: false`. A reader that stops early
 * may leave the worker reading one more batch: it reads with pread (the descriptor's offset is left alone) and
 * its reply is dropped.
 */
export function parsedBatches(fd: number, from: FilePosition): AsyncIterable<ParsedBatch> | Iterable<ParsedBatch> {
  const w = busy ? null : parseWorker();
  return w ? fromWorker(w, fd, from) : parseBatches(fd, from);
}
