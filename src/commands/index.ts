// The command list. Each module under commands/ exports one yargs CommandModule (one per line: branches that
// add commands merge without touching each other's lines).
import type { CommandModule } from 'yargs';
import { batchCommand } from './batch.js';
import { demoCommand } from './demo.js';
import { doctorCommand } from './doctor.js';
import { exportCommand } from './export.js';
import { gradeCommand } from './grade.js';
import { imagesCommand } from './images.js';
import { importCommand } from './import.js';
import { ingestCommand } from './ingest.js';
import { limitsCommand } from './limits.js';
import { mergeCommand } from './merge.js';
import { mockApiCommand } from './mock-api.js';
import { profilesCommand } from './profiles.js';
import { queryCommand } from './query.js';
import { replayCommand } from './replay.js';
import { reportCommand } from './report.js';
import { runCommand } from './run.js';
import { slurmTaskCommand } from './slurm-task.js';
import { sqlCommand } from './sql.js';
import { swebenchCommand } from './swebench.js';
import { watchCommand } from './watch.js';

// In the order `agentpod --help` lists them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  demoCommand,
  runCommand,
  profilesCommand,
  doctorCommand,
  mockApiCommand,
  ingestCommand,
  watchCommand,
  importCommand,
  queryCommand,
  sqlCommand,
  reportCommand,
  swebenchCommand,
  batchCommand,
  replayCommand,
  gradeCommand,
  exportCommand,
  imagesCommand,
  limitsCommand,
  mergeCommand,
  slurmTaskCommand,
];
