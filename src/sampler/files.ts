// Reads small kernel files (cgroupfs, /proc) through descriptors opened once and re-read from offset 0 on
// every tick into one reused buffer: a sample costs a pread per file, not an open/read/close.
import { closeSync, openSync, readSync } from 'node:fs';

export class KernelFileReader {
  private readonly fds = new Map<string, number>();
  private buffer = Buffer.alloc(64 * 1024);

  /** The file's text, or null when it is missing or unreadable (removed cgroup, exited process, no permission). */
  read(path: string): string | null {
    const kept = this.fds.get(path);
    if (kept !== undefined) {
      try {
        return this.readWhole(kept);
      } catch {
        // A kept descriptor of an exited process fails (ESRCH) even if its pid was reused; reopening by path
        // once picks up the process that now owns the path.
        this.forget(path);
      }
    }
    try {
      const fd = openSync(path, 'r');
      this.fds.set(path, fd);
      return this.readWhole(fd);
    } catch {
      this.forget(path);
      return null;
    }
  }

  /** Closes the descriptors of files under `dir` (a process that left: /proc/PID). */
  closeUnder(dir: string): void {
    const prefix = dir.endsWith('/') ? dir : `${dir}/`;
    for (const path of [...this.fds.keys()]) if (path.startsWith(prefix)) this.forget(path);
  }

  closeAll(): void {
    for (const path of [...this.fds.keys()]) this.forget(path);
  }

  private readWhole(fd: number): string {
    for (;;) {
      const n = readSync(fd, this.buffer, 0, this.buffer.length, 0);
      if (n < this.buffer.length) return this.buffer.toString('utf8', 0, n);
      // It did not fit: grow and read again from the start (kernel files are generated per read).
      this.buffer = Buffer.alloc(this.buffer.length * 2);
    }
  }

  private forget(path: string): void {
    const fd = this.fds.get(path);
    this.fds.delete(path);
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        /* already unusable */
      }
    }
  }
}
