// Every module's migrations, in the order they apply (runs first: others reference it).
import type { Migration } from '../migrate.js';
import { RUNS_MIGRATIONS } from './runs.js';
import { TRACES_MIGRATIONS } from './traces.js';
import { SWEBENCH_MIGRATIONS } from './swebench.js';
import { SAMPLES_MIGRATIONS } from './samples.js';
import { REPLAY_MIGRATIONS } from './replay.js';
import { GRADING_MIGRATIONS } from './grading.js';
import { IMPORTERS_MIGRATIONS } from './importers.js';
import { ANALYSIS_MIGRATIONS } from './analysis.js';
import { SLURM_MIGRATIONS } from './slurm.js';
import { PROCESSES_MIGRATIONS } from './processes.js';
import { ATTRIBUTION_MIGRATIONS } from './attribution.js';
import { CONTROL_MIGRATIONS } from './control.js';

export const ALL_MIGRATIONS: Migration[] = [
  ...RUNS_MIGRATIONS,
  ...TRACES_MIGRATIONS,
  ...SWEBENCH_MIGRATIONS,
  ...SAMPLES_MIGRATIONS,
  ...GRADING_MIGRATIONS,
  ...IMPORTERS_MIGRATIONS,
  ...ANALYSIS_MIGRATIONS,
  ...SLURM_MIGRATIONS,
  ...REPLAY_MIGRATIONS,
  ...PROCESSES_MIGRATIONS,
  ...ATTRIBUTION_MIGRATIONS,
  ...CONTROL_MIGRATIONS,
];
