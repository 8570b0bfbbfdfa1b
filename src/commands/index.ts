// The command list. Each module under commands/ exports one yargs CommandModule.
import type { CommandModule } from 'yargs';
import { mockApiCommand } from './mock-api.js';
import { runCommand } from './run.js';
import { doctorCommand } from './doctor.js';
import { profilesCommand } from './profiles.js';
import { ingestCommand } from './ingest.js';
import { watchCommand } from './watch.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [runCommand, profilesCommand, doctorCommand, mockApiCommand, ingestCommand, watchCommand];
