/**
 * A pool worker thread: loads the solver once, then runs the tasks of tasks.ts by name.
 */
import { loadSolver } from '../engine/targets/solver.js';

await loadSolver();

export { analyze, bookChunk, propose, simulate, simulateBatchLine } from './tasks.js';
