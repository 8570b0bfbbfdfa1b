// The parse worker: reads and parses trace lines (batches.ts) while the ingesting thread writes the previous
// batch to SQLite — on two cores the two overlap. One request at a time: { id, fd, from }; it answers with
// batches, each sent once the one before it was taken (`next`), so at most two are in memory; `cancel` ends a
// request the reader left early. Replies carry the request's id, so a late one is never taken for another's.
import { parentPort } from 'node:worker_threads';
import { parseBatches, toWire, type WireBatch } from './batches.js';
import type { FilePosition } from './store.js';

export type WorkerRequest = { type: 'read'; id: number; fd: number; from: FilePosition } | { type: 'next' | 'cancel'; id: number };
export type WorkerReply = { type: 'batch'; id: number; batch: WireBatch } | { type: 'error'; id: number; message: string };

const port = parentPort!;
/** The running request's id and what resumes it: true for the next batch, false to stop. */
let waiting: { id: number; resume: (more: boolean) => void } | null = null;
const taken = (id: number) => new Promise<boolean>((resume) => (waiting = { id, resume }));

port.on('message', (request: WorkerRequest) => {
  if (request.type !== 'read') {
    if (waiting?.id === request.id) waiting.resume(request.type === 'next');
    return;
  }
  const { id } = request;
  try {
    const batches = parseBatches(request.fd, request.from);
    void (async () => {
      try {
        for (const batch of batches) {
          const wire = toWire(batch);
          const next = batch.more ? taken(id) : null;
          port.postMessage({ type: 'batch', id, batch: wire } satisfies WorkerReply, [wire.raws]);
          if (next && !(await next)) return;
        }
      } catch (e) {
        port.postMessage({ type: 'error', id, message: (e as Error).message } satisfies WorkerReply);
      }
    })();
  } catch (e) {
    port.postMessage({ type: 'error', id, message: (e as Error).message } satisfies WorkerReply);
  }
});
