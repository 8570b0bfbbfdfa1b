// Per-process samples of a run's container (docs/sampler.md): one `processes` row per process, then its values
// in `process_samples`. Processes that stay under the size threshold have a row but no values of their own:
// they are summed, per group, into that group's "(other)" row.
import type { Migration } from '../migrate.js';

export const PROCESSES_MIGRATIONS: Migration[] = [
  {
    name: 'processes-001-create',
    sql: `
      CREATE TABLE processes (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL REFERENCES runs(id),
        kind TEXT NOT NULL CHECK (kind IN ('agent', 'process', 'other')),
        pid INTEGER,                       -- host pid; NULL on an (other) row
        ppid INTEGER,
        start_ms INTEGER,                  -- epoch ms, from /proc/PID/stat starttime and the boot time
        comm TEXT,                         -- command name (15 bytes at most); '(other)' on an (other) row
        cmdline TEXT,                      -- the first 200 bytes of /proc/PID/cmdline, NULs as spaces
        parent_id INTEGER,                 -- processes.id of the parent, when the parent was seen
        group_id INTEGER,                  -- the agent's child this process descends from (itself for such a child);
                                           -- NULL for the agent and for processes outside its tree
        first_seen_ms INTEGER,
        last_seen_ms INTEGER,
        peak_rss_bytes INTEGER,            -- largest RSS seen (folded or not)
        cpu_usec INTEGER                   -- own CPU (utime + stime) when last seen; (other): of all its members
      );
      CREATE INDEX processes_run ON processes (run_id, start_ms);

      CREATE TABLE process_samples (
        process_id INTEGER NOT NULL REFERENCES processes(id),
        t_ms INTEGER NOT NULL,             -- the t_ms of the run's sample taken at the same tick
        rss_bytes INTEGER,
        pss_bytes INTEGER,                 -- on the ticks PSS was read (a page-table walk), else NULL
        cpu_usec INTEGER,
        PRIMARY KEY (process_id, t_ms)
      ) WITHOUT ROWID;
    `,
  },
  {
    // A key other than the shard-local integer id, so `agentpod merge` can map a Slurm shard's process ids (and
    // the parent_id / group_id that point at them) onto the database's own.
    name: 'processes-002-process-key',
    sql: `
      ALTER TABLE processes ADD COLUMN process_key TEXT;  -- 'pid:start_ms:first_seen_ms'; (other) rows: 'other:' and
                                                          -- their group's key ('other:' alone outside the agent's tree)
      UPDATE processes SET process_key = pid || ':' || COALESCE(start_ms, '') || ':' || COALESCE(first_seen_ms, '') WHERE kind <> 'other';
      UPDATE processes SET process_key = 'other:' || COALESCE((SELECT g.process_key FROM processes g WHERE g.id = processes.group_id), '')
        WHERE kind = 'other';
      CREATE UNIQUE INDEX processes_key ON processes (run_id, process_key);
    `,
  },
];
