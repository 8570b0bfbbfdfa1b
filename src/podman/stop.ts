// Stopping a container whose attached `podman run` client is still running. `podman stop` can come before the
// container exists (an early Ctrl-C, a timeout during the image copy): it is retried until the client is gone.
import { podman } from './client.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ContainerStopper {
  /** Starts stopping (once; later calls join the first); resolves when the client has exited. */
  stop(): Promise<void>;
  /** The stop under way, if any. */
  readonly stopping: Promise<void> | null;
}

export function containerStopper(name: string, graceSeconds: number, clientExit: Promise<unknown>): ContainerStopper {
  let done = false;
  void clientExit.finally(() => {
    done = true;
  });
  let stopping: Promise<void> | null = null;
  return {
    stop() {
      stopping ??= (async () => {
        while (!done) {
          try {
            await podman(['stop', '-t', String(graceSeconds), name]);
          } catch {
            /* not created yet, or already gone */
          }
          await Promise.race([clientExit, sleep(500)]);
        }
      })();
      return stopping;
    },
    get stopping() {
      return stopping;
    },
  };
}
