// Which step of which recorded conversation answers a request of the replaying Claude Code. A conversation's
// first request is recognised by its first user message (the run's prompt, or the prompt its Task/Agent call
// gave the subagent), narrowed by what else the request says (subagent or not, model); every later request
// by the tool_use ids of its last assistant message, which the script itself gave out (fresh per replay), so
// retries and parallel subagents are placed exactly. Open loop: the next step is served whatever the tools
// returned; a request that fits no step is refused, naming it.
import { describeRequest, isSubagentRequest, type RequestView } from '../mockapi/request.js';
import type { ScriptTurn } from '../mockapi/script.js';
import { UnmatchedRequestError, type Responder, type ScriptReply } from '../mockapi/server.js';
import type { ReplayScript } from './script.js';

/** What a conversation that outruns its recording gets (the original was cut off there: a timeout, a kill). */
export const PAST_END_TURN: ScriptTurn = { content: [{ type: 'text', text: 'The recorded session ends here.' }] };

function compareKeys(a: number[], b: number[]): number {
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? 0 : a[i] - b[i];
}

export interface ServedStep {
  requestIndex: number;
  conversation: string;
  /** The step index; null when the conversation had run out of steps (PAST_END_TURN was sent). */
  turn: number | null;
}

export class ConversationMatcher implements Responder {
  private readonly stepOfToolUse = new Map<string, { conversation: number; turn: number }>();
  private readonly boundAgents = new Map<string, number>();
  private readonly started = new Set<number>();
  readonly served: ServedStep[] = [];

  constructor(private readonly script: ReplayScript) {
    script.conversations.forEach((c, conversation) => c.toolUseIds.forEach((ids, turn) => ids.forEach((id) => this.stepOfToolUse.set(id, { conversation, turn }))));
  }

  answer(request: RequestView): ScriptReply {
    const { conversation, turn } = this.place(request);
    const c = this.script.conversations[conversation];
    const reply = c.turns[turn];
    this.served.push({ requestIndex: request.index, conversation: c.key, turn: reply ? turn : null });
    return { conversation: c.key, turn, reply: reply ?? PAST_END_TURN };
  }

  /** Steps of the script no request asked for (the replay ended early, or Claude Code took another path). */
  unservedSteps(): number {
    const served = new Set(this.served.filter((s) => s.turn !== null).map((s) => `${s.conversation}\0${s.turn}`));
    return this.script.conversations.reduce((n, c) => n + c.turns.filter((_, t) => !served.has(`${c.key}\0${t}`)).length, 0);
  }

  private place(request: RequestView): { conversation: number; turn: number } {
    const assistants = request.assistantToolUseIds;
    // The latest assistant message that made tool calls names its conversation and step.
    for (let i = assistants.length - 1; i >= 0; i--) {
      const ids = assistants[i];
      if (!ids.length) continue;
      const steps = ids.map((id) => this.stepOfToolUse.get(id));
      const first = steps[0];
      if (!first || steps.some((s) => !s || s.conversation !== first.conversation || s.turn !== first.turn)) {
        throw new UnmatchedRequestError(`${describeRequest(request)}: its assistant message ${i + 1} carries tool_use ids (${ids.join(', ')}) that no one step of the replay script gave out`);
      }
      return { conversation: first.conversation, turn: first.turn + (assistants.length - i) };
    }
    return { conversation: this.byFirstMessage(request), turn: assistants.length };
  }

  private byFirstMessage(request: RequestView): number {
    const bound = request.agentHeader ? this.boundAgents.get(request.agentHeader) : undefined;
    if (bound !== undefined) return bound;
    const texts = request.firstUserTexts.map((t) => t.trim());
    const joined = request.firstUserTexts.join('\n');
    const subagent = isSubagentRequest(request);
    const candidates = this.script.conversations
      .map((c, index) => ({ c, index, exact: texts.includes(c.prompt.trim()), contained: joined.includes(c.prompt.trim()) }))
      .filter(({ c, exact, contained }) => (exact || contained) && (subagent === null || subagent === (c.key !== 'main')));
    if (!candidates.length) {
      throw new UnmatchedRequestError(`${describeRequest(request)}: its first user message is the prompt of no recorded ${subagent ? 'subagent ' : subagent === false ? 'main ' : ''}conversation`);
    }
    // Not yet started first, an exact prompt block before a prompt inside a longer text, the same model, the
    // longest prompt, then recording order.
    const rank = ({ c, index, exact }: (typeof candidates)[number]) => [this.started.has(index) ? 1 : 0, exact ? 0 : 1, request.model !== null && c.model === request.model ? 0 : 1, -c.prompt.length, index];
    const best = candidates.map((x) => ({ x, key: rank(x) })).sort((a, b) => compareKeys(a.key, b.key))[0].x;
    this.started.add(best.index);
    if (request.agentHeader) this.boundAgents.set(request.agentHeader, best.index);
    return best.index;
  }
}
