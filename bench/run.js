// `npm run bench`: every benchmark in this folder, in order. Loopback only; bounded in time.
import { engineBench, printEngine } from './engine.js';

printEngine(engineBench());
