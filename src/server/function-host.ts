/**
 * What the HTTP layer needs from whoever runs the functions: the runtime's
 * executor, narrowed, so that the same Hono app serves `nano dev` and `nano server`.
 */
import type { Executor } from '../runtime/index.js';

export type FunctionHost = Pick<Executor, 'info' | 'list' | 'invoke' | 'call' | 'invokeWagi' | 'stats'>;
