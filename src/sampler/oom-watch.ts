// Noticing an OOM kill in a cgroup v2 memory.events before the cgroup disappears. When the container's init
// process is killed, its cgroup is removed a few milliseconds later, usually before the next tick, and the
// kernel rate-limits change notifications to one per 10 ms. So: react to every change notification, and
// while the cgroup is at its limit (the "max" counter rising: an OOM kill may follow) also poll the file.
import { watch, type FSWatcher } from 'node:fs';
import { keyed, parseKeyed } from './parse.js';

const PRESSURE_POLL_MS = 5;

/** Polling goes on this long after the last rise of "max". */
const PRESSURE_LINGER_MS = 1000;

/** memory.events' counts as the watch read them: the cgroup may be gone by the time the sample reads it again. */
export interface OomCounts {
  memory_events_oom: number | null;
  memory_events_oom_kill: number | null;
}

/**
 * Calls onOom with the counts it read when the oom or oom_kill count of the memory.events at `path` changes;
 * `readEvents` reads that file. Returns the function that stops watching.
 */
export function watchOomEvents(path: string, readEvents: () => string | null, onOom: (seen: OomCounts) => void): () => void {
  const initial = parseKeyed(readEvents());
  let oomSeen = (keyed(initial, 'oom') ?? 0) + (keyed(initial, 'oom_kill') ?? 0);
  let maxSeen = keyed(initial, 'max');
  let pollUntil = 0;
  let poller: NodeJS.Timeout | undefined;
  const stopPolling = () => {
    clearInterval(poller);
    poller = undefined;
  };

  const check = () => {
    const events = parseKeyed(readEvents());
    if (events === null) return stopPolling(); // the cgroup is gone
    const oom = (keyed(events, 'oom') ?? 0) + (keyed(events, 'oom_kill') ?? 0);
    if (oom !== oomSeen) {
      oomSeen = oom;
      onOom({ memory_events_oom: keyed(events, 'oom'), memory_events_oom_kill: keyed(events, 'oom_kill') });
    }
    const now = Date.now();
    if (keyed(events, 'max') !== maxSeen) {
      maxSeen = keyed(events, 'max');
      pollUntil = now + PRESSURE_LINGER_MS;
      if (!poller) {
        poller = setInterval(check, PRESSURE_POLL_MS);
        poller.unref();
      }
    } else if (now > pollUntil) stopPolling();
  };

  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(path, { persistent: false }, check);
    watcher.on('error', () => watcher?.close());
  } catch {
    /* no inotify: the ticks alone */
  }
  return () => {
    stopPolling();
    watcher?.close();
  };
}
