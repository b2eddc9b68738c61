// `node --import` this file (NODE_OPTIONS) to record every cloud SDK module the process resolves,
// one URL a line, into the file named by FLEETLENS_MODULE_TRACE: a module graph test's evidence.
import { register } from 'node:module';

register('./module-trace-hooks.mjs', import.meta.url, { data: { file: process.env.FLEETLENS_MODULE_TRACE } });
