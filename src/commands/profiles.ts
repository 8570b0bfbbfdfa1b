import type { CommandModule } from 'yargs';
import { describeChange } from '../limit-keys.js';
import type { Profile } from '../profiles.js';
import { formatBytes, formatDuration } from '../units.js';

const limit = (v: string | null) => v ?? 'unlimited';

function describeProfile(p: Profile): Record<string, string> {
  return {
    name: p.name,
    memory: limit(p.memoryBytes === null ? null : formatBytes(p.memoryBytes)),
    'memory-swap': limit(p.memorySwapBytes === null ? null : formatBytes(p.memorySwapBytes)),
    cpus: limit(p.cpus === null ? null : String(p.cpus)),
    'pids-limit': limit(p.pidsLimit === null ? null : String(p.pidsLimit)),
    timeout: limit(p.timeoutMs === null ? null : formatDuration(p.timeoutMs)),
    'memory-high': p.memoryHighBytes == null ? '-' : formatBytes(p.memoryHighBytes),
    'memory-low': p.memoryLowBytes == null ? '-' : formatBytes(p.memoryLowBytes),
    'cpu-weight': p.cpuWeight == null ? '-' : String(p.cpuWeight),
    schedule: p.schedule?.length ? p.schedule.map((s) => `after ${formatDuration(s.afterMs)}: ${describeChange(s.change)}`).join('; ') : '-',
    model: p.model ?? '(claude default)',
    description: p.description,
    file: p.source,
  };
}

const listCommand: CommandModule<object, { json: boolean }> = {
  command: 'list',
  describe: 'List the profiles agentpod can find',
  builder: (y) => y.option('json', { type: 'boolean', default: false }).example('$0 profiles list', 'name, limits and file of each profile'),
  handler: async (args) => {
    const { listProfileFiles, loadProfileFile } = await import('../profiles.js');
    const profiles = listProfileFiles().map(({ name, file }) => loadProfileFile(file, name));
    if (args.json) {
      process.stdout.write(`${JSON.stringify(profiles, null, 2)}\n`);
      return;
    }
    const rows = profiles.map(describeProfile);
    const cols = ['name', 'memory', 'cpus', 'pids-limit', 'timeout', 'file'] as const;
    const width = (c: string) => Math.max(c.length, ...rows.map((r) => r[c].length));
    process.stdout.write(`${cols.map((c) => c.toUpperCase().padEnd(width(c))).join('  ')}\n`);
    for (const r of rows) process.stdout.write(`${cols.map((c) => r[c].padEnd(width(c))).join('  ')}\n`);
  },
};

const showCommand: CommandModule<object, { name: string; json: boolean }> = {
  command: 'show <name>',
  describe: 'Show one profile, resolved',
  builder: (y) =>
    y
      .positional('name', { type: 'string', demandOption: true, describe: 'profile name or YAML file' })
      .option('json', { type: 'boolean', default: false })
      .example('$0 profiles show small', 'limits of profiles/small.yaml'),
  handler: async (args) => {
    const { loadProfile } = await import('../profiles.js');
    const profile = loadProfile(args.name);
    if (args.json) process.stdout.write(`${JSON.stringify(profile, null, 2)}\n`);
    else for (const [k, v] of Object.entries(describeProfile(profile))) process.stdout.write(`${k.padEnd(12)} ${v}\n`);
  },
};

export const profilesCommand: CommandModule = {
  command: 'profiles',
  describe: 'List and show resource profiles (profiles/*.yaml, ~/.config/agentpod/profiles, $AGENTPOD_PROFILES_DIR)',
  builder: (y) => y.command(listCommand).command(showCommand).demandCommand(1, 'profiles list | profiles show NAME'),
  handler: () => {},
};
