// The command list. Each module under commands/ exports one yargs CommandModule.
import type { CommandModule } from 'yargs';
import { mockApiCommand } from './mock-api.js';
import { runCommand } from './run.js';
import { doctorCommand } from './doctor.js';
import { profilesCommand } from './profiles.js';
import { ingestCommand } from './ingest.js';
import { watchCommand } from './watch.js';
import { swebenchCommand } from './swebench.js';
import { batchCommand } from './batch.js';
import { imagesCommand } from './images.js';
import { queryCommand } from './query.js';
import { sqlCommand } from './sql.js';
import { reportCommand } from './report.js';
import { demoCommand } from './demo.js';
import { replayCommand } from './replay.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [demoCommand, runCommand, profilesCommand, doctorCommand, mockApiCommand, ingestCommand, watchCommand, queryCommand, sqlCommand, reportCommand, swebenchCommand, batchCommand, imagesCommand, replayCommand];
