// `tokens`: API usage per session and model, one count per API response.
import type { Db } from '../db/open.js';
import { sessionCondition, type RunFilter } from './filter.js';
import type { Row } from './output.js';
import type { Query } from './query.js';

function tokensRows(db: Db, filter: RunFilter): Row[] {
  const where = sessionCondition(filter, 'p.session_id');
  return db
    .prepare(
      `SELECT p.session_id, r.id AS run_id, p.model, COUNT(*) AS responses, SUM(p.agent_id IS NOT NULL) AS subagent_responses,
              SUM(p.input_tokens) AS input_tokens, SUM(p.output_tokens) AS output_tokens,
              SUM(p.cache_creation_input_tokens) AS cache_creation_input_tokens, SUM(p.cache_read_input_tokens) AS cache_read_input_tokens
       FROM responses p LEFT JOIN runs r ON r.session_id = p.session_id
       WHERE p.is_synthetic = 0 AND ${where.sql}
       GROUP BY p.session_id, p.model
       ORDER BY MIN(p.first_ms), p.session_id, p.model`,
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
