// The built-in queries, in the order `agentpod query --list` shows them (docs/queries.md).
import { ConfigError } from '../errors.js';
import { characterizeQuery } from './characterize/index.js';
import { profilesQuery } from './profiles.js';
import { resolvedQuery } from './resolved.js';
import type { Query } from './query.js';
import { replayQuery } from './replay.js';
import { runsQuery } from './runs.js';
import { tokensQuery } from './tokens.js';
import { toolProcessesQuery } from './tool-processes.js';
import { toolResourcesQuery, toolResourcesSummaryQuery } from './tool-resources.js';
import { toolsQuery } from './tools.js';

export const QUERIES: Query[] = [runsQuery, toolsQuery, toolResourcesQuery, toolResourcesSummaryQuery, toolProcessesQuery, profilesQuery, resolvedQuery, tokensQuery, characterizeQuery, replayQuery];

export function findQuery(name: string): Query {
  const query = QUERIES.find((q) => q.name === name);
  if (!query) throw new ConfigError(`unknown query "${name}"; the queries are: ${QUERIES.map((q) => q.name).join(', ')} (agentpod query --list)`);
  return query;
}
