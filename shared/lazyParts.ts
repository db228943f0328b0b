import type * as BrokerModule from './broker';
import { lazy } from './lazy';
import type * as Schemas from './schemas/requestSchemas';

/**
 * The heavy parts the function files use (zod schemas, the broker and its SDK clients), loaded on
 * the first invocation so that loading a function module stays as cheap as `@azure/functions`.
 */
export const requestSchemas = lazy(() => require('./schemas/requestSchemas') as typeof Schemas);
export const broker = lazy(() => (require('./broker') as typeof BrokerModule).getBroker());
