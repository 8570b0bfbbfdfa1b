// Starts the project's scripted Messages-API server for a test and gives the environment that points
// the real Claude Code CLI at it.
import { afterAll, beforeAll } from 'vitest';
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

/** One scripted server for a whole test file: started before its tests, closed after them. */
export function scriptedApiForFile(yaml: string): { readonly env: Record<string, string> } {
  let api: { server: MockApiServer; env: Record<string, string> } | undefined;
  beforeAll(async () => {
    api = await startScriptedApi(yaml);
  });
  afterAll(async () => {
    await api?.server.close();
  });
  return {
    get env() {
      if (!api) throw new Error('the scripted API is not started yet (use it inside a test)');
      return api.env;
    },
  };
}
