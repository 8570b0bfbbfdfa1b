// Starts the project's scripted Messages-API server for a test and gives the environment that points
// the real Claude Code CLI at it.
import { parseScript } from '../../src/mockapi/script.js';
import { startMockApi, type MockApiServer } from '../../src/mockapi/server.js';

export async function startScriptedApi(yaml: string): Promise<{ server: MockApiServer; env: Record<string, string> }> {
  const server = await startMockApi(parseScript(yaml, 'test script'));
  return {
    server,
    env: {
      ANTHROPIC_BASE_URL: server.url,
      ANTHROPIC_API_KEY: 'sk-agentpod-test',
      CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    },
  };
}
