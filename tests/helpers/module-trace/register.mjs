// `node --import ./register.mjs ...`: every module the process loads (ESM imports, and the packages CommonJS
// code is imported through) is appended to $AGENTPOD_MODULE_TRACE, one URL a line.
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
