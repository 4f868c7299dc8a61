// The pool worker when convkit runs from its TypeScript sources (the monorepo's tests and
// bench): registers tsx in the worker, then loads the TypeScript entry. Published builds use
// the compiled cpu-worker.js instead.
import { register } from 'tsx/esm/api';

register();
await import('./cpu-worker.ts');
