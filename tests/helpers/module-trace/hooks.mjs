// Loader hooks (run off the main thread) for register.mjs.
import { appendFileSync } from 'node:fs';

export async function resolve(specifier, context, nextResolve) {
  const result = await nextResolve(specifier, context);
  appendFileSync(process.env.AGENTPOD_MODULE_TRACE, `${result.url}\n`);
  return result;
}
