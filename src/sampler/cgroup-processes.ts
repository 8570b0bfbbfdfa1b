// The processes of a container that has a cgroup of its own: the pids in its cgroup.procs, each read from
// /proc (RSS from statm, CPU from stat; PSS on the ticks its budget allows).
import { KernelFileReader } from './files.js';
import { ProcessTable, PssSchedule, type ProcessEntry } from './process-table.js';
import type { SampleSource } from './sample.js';

/** As the proc source: PSS costs at most this share of one core. */
const PSS_CPU_SHARE = 0.001;

/** `cgroupFiles` reads the cgroup's own files; the processes' /proc files get a reader of their own. */
export function cgroupProcesses(cgroupFiles: KernelFileReader, procsFile: string, procRoot = '/proc'): Pick<Required<SampleSource>, 'processes' | 'cmdline' | 'close'> {
  const files = new KernelFileReader();
  const table = new ProcessTable(files, 'lean', procRoot);
  const pss = new PssSchedule(PSS_CPU_SHARE);
  return {
    processes() {
      const text = cgroupFiles.read(procsFile);
      if (text === null) return [];
      const now = Date.now();
      const entries: ProcessEntry[] = [];
      for (const line of text.split('\n')) {
        const e = line ? table.refresh(Number(line), now) : null;
        if (e) entries.push(e);
      }
      table.sweep();
      table.markPreExec(entries, now);
      pss.runIfDue(() => table.readPss(entries));
      return entries;
    },
    cmdline: (pid) => table.cmdline(pid),
    close: () => files.closeAll(),
  };
}
