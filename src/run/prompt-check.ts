// What a prompt must be for the agent to get all of it. Pure.
import { ConfigError } from '../errors.js';

/**
 * A NUL byte cannot travel: an argv element ends at the first NUL (the kernel would cut the prompt there
 * without a word), and claude reads a stdin prompt as text. `what` names the prompt in the message.
 */
export function assertPromptCarriable(prompt: string, what = 'the prompt'): void {
  const at = prompt.indexOf('\0');
  if (at >= 0) throw new ConfigError(`${what} contains a NUL byte (character ${at + 1} of ${prompt.length}): the agent would get it cut short there; remove it`);
}
