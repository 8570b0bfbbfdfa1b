// Picks the batch engine the command line asks for; each engine's module is loaded only when chosen.
import type { BatchEngine } from './engine.js';
import type { LocalOptions } from './local.js';
import type { SlurmOptions } from './slurm.js';

export type EngineChoice = { engine: 'local'; local: LocalOptions } | { engine: 'slurm'; slurm: SlurmOptions };

export async function createEngine(choice: EngineChoice): Promise<BatchEngine> {
  if (choice.engine === 'slurm') {
    const { SlurmEngine } = await import('./slurm.js');
    return new SlurmEngine(choice.slurm);
  }
  const { LocalEngine } = await import('./local.js');
  return new LocalEngine(choice.local);
}
