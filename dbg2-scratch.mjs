import { buildApp } from './dist/api/app.js';
import { openDatabase } from './dist/store/database.js';
const db = await openDatabase({});
const app = await buildApp({ db, env: {} });
const doc = JSON.parse((await app.inject({ url: '/openapi.json' })).body);
console.log(JSON.stringify(doc.components.schemas.SimulateRequest.properties.portfolio_snapshot));
console.log(JSON.stringify(doc.components.schemas.RebalanceResult.properties.reconciliation));
for (const [path, methods] of Object.entries(doc.paths)) for (const [m, op] of Object.entries(methods)) for (const [c, r] of Object.entries(op.responses)) { const s = r.content?.['application/json']?.schema; if (s && !s.$ref) console.log(m, path, c, JSON.stringify(s).slice(0, 150)); }
console.log(JSON.stringify(doc.paths['/rebalance/simulate'].post.requestBody).slice(0,300));
