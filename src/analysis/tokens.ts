// `tokens`: API usage per session and model, one count per API response.
import type { Db } from '../db/open.js';
import { sessionCondition, type RunFilter } from './filter.js';
import type { Row } from './output.js';
import type { Query } from './query.js';
import { refreshToolCallGroups } from './stored.js';

function tokensRows(db: Db, filter: RunFilter): Row[] {
  refreshToolCallGroups(db, filter);
  const where = sessionCondition(filter, 't.session_id');
  return db
    .prepare(
      `SELECT t.session_id, r.id AS run_id, t.model, t.responses, t.subagent_responses, t.input_tokens, t.output_tokens,
              t.cache_creation_input_tokens, t.cache_read_input_tokens
       FROM session_model_tokens t LEFT JOIN runs r ON r.session_id = t.session_id
       WHERE ${where.sql}
       ORDER BY t.first_ms, t.session_id, t.model`,
    )
    .all(where.params) as Row[];
}

export const tokensQuery: Query = {
  name: 'tokens',
  question: 'How many API responses and tokens did each session use, per model?',
  columns: [
    { key: 'session_id', kind: 'text', about: 'Claude Code session' },
    { key: 'run_id', kind: 'text', about: 'the agentpod run of the session (NULL: not an agentpod run)' },
    { key: 'model', kind: 'text', about: 'model of the responses' },
    { key: 'responses', kind: 'int', about: 'API responses (one per message.id, however many trace lines repeat it; synthetic ones left out)' },
    { key: 'subagent_responses', kind: 'int', about: 'of those, responses of subagents', optional: true },
    { key: 'input_tokens', kind: 'int', about: 'sum of the responses\' usage' },
    { key: 'output_tokens', kind: 'int', about: 'same, output' },
    { key: 'cache_creation_input_tokens', kind: 'int', about: 'same, cache writes', optional: true },
    { key: 'cache_read_input_tokens', kind: 'int', about: 'same, cache reads' },
  ],
  run: tokensRows,
};
