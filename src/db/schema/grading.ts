// Gradings of runs (docs/grading.md): one row per evaluation, so a regrade adds a row and never loses one;
// the run row carries its latest verdict.
import type { Migration } from '../migrate.js';

export const GRADING_MIGRATIONS: Migration[] = [
  {
    name: 'grading-001-evaluations',
    sql: `
      CREATE TABLE evaluations (
        id TEXT PRIMARY KEY,                 -- <run id>/eval-<attempt>; its samples carry this id
        run_id TEXT NOT NULL REFERENCES runs(id),
        attempt INTEGER NOT NULL,            -- 1, 2, … per run; the highest is the run's verdict
        status TEXT NOT NULL CHECK (status IN ('resolved', 'unresolved', 'empty_patch', 'patch_failed', 'log_invalid', 'timeout', 'error')),
        resolution TEXT CHECK (resolution IN ('FULL', 'PARTIAL', 'NO')), -- NULL when the tests did not run or were not gradable
        message TEXT,                        -- the status in words (why not resolved, what failed)
        instance_id TEXT,
        f2p_success INTEGER,
        f2p_failure INTEGER,
        p2p_success INTEGER,
        p2p_failure INTEGER,
        tests_status TEXT,                   -- JSON {FAIL_TO_PASS: {success, failure}, PASS_TO_PASS: …} as in report.json
        test_exit_code INTEGER,              -- the test command's own exit code (>>>>> Test Exit Code)
        parser TEXT,                         -- log parser name, as the harness names it
        eval_type TEXT,
        eval_script_origin TEXT,             -- eval_script (the record's), install_config or test-cmd
        patch_bytes INTEGER,
        patch_applied_with TEXT,             -- the apply command that worked, 'already applied', or NULL
        test_patch_applied INTEGER,          -- 1/0: did the test patch apply onto the reset test files
        source_image TEXT,
        source_image_id TEXT,
        container_name TEXT,
        eval_profile TEXT,
        memory_limit_bytes INTEGER,
        cpus REAL,
        timeout_ms INTEGER,
        eval_dir TEXT,                       -- this attempt's folder (eval.sh, test_output.txt, report.json, …)
        log_path TEXT,                       -- test_output.txt, NULL when the tests never ran
        report_path TEXT,                    -- report.json, NULL when the harness would write none
        started_at INTEGER NOT NULL,         -- epoch ms
        finished_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        sample_source TEXT,
        sample_count INTEGER,
        peak_memory_bytes INTEGER,
        cpu_seconds REAL,
        UNIQUE (run_id, attempt)
      );

      CREATE VIEW latest_evaluations AS
        SELECT e.* FROM evaluations e
        WHERE e.attempt = (SELECT MAX(attempt) FROM evaluations WHERE run_id = e.run_id);

      ALTER TABLE runs ADD COLUMN eval_status TEXT;      -- the latest evaluation's status
      ALTER TABLE runs ADD COLUMN resolution TEXT;       -- and its resolution (FULL/PARTIAL/NO)
    `,
  },
];
