// Tool calls grouped per tool name, and Bash calls once more per command family.
import { bashFamily, type BashFamily } from './families.js';

export interface ToolCallKey {
  tool: string;
  /** Bash calls only: the command's family. */
  family: BashFamily | null;
}

export function toolCallKey(toolName: string | null, command: string | null): ToolCallKey {
  const tool = toolName ?? '(unknown)';
  return { tool, family: tool === 'Bash' ? bashFamily(command) : null };
}

export interface ToolGroup<T> extends ToolCallKey {
  items: T[];
}

const byCountThenName = <T>(a: ToolGroup<T>, b: ToolGroup<T>) =>
  b.items.length - a.items.length || a.tool.localeCompare(b.tool) || (a.family ?? '').localeCompare(b.family ?? '');

/**
 * One group per tool (family null) with all its calls, most calls first; right after the Bash group, one
 * group per Bash family, most calls first.
 */
export function groupByToolAndFamily<T extends ToolCallKey>(items: T[]): ToolGroup<T>[] {
  const tools = new Map<string, ToolGroup<T>>();
  const families = new Map<string, ToolGroup<T>>();
  for (const item of items) {
    let group = tools.get(item.tool);
    if (!group) tools.set(item.tool, (group = { tool: item.tool, family: null, items: [] }));
    group.items.push(item);
    if (item.family === null) continue;
    let familyGroup = families.get(item.family);
    if (!familyGroup) families.set(item.family, (familyGroup = { tool: item.tool, family: item.family, items: [] }));
    familyGroup.items.push(item);
  }
  const familyGroups = [...families.values()].sort(byCountThenName);
  return [...tools.values()].sort(byCountThenName).flatMap((g) => (g.tool === 'Bash' ? [g, ...familyGroups] : [g]));
}
