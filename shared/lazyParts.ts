import type * as BrokerModule from './broker';
import { ConfigurationInvalidError } from './errors';
import { lazy } from './lazy';
import type * as Schemas from './schemas/requestSchemas';
import type * as RotationSchemas from './schemas/rotationSchemas';

/**
 * The heavy parts the function files use (zod schemas, the broker and its SDK clients), loaded on
 * the first invocation so that loading a function module stays as cheap as `@azure/functions`.
 */
export const requestSchemas = lazy(() => require('./schemas/requestSchemas') as typeof Schemas);
export const rotationSchemas = lazy(() => require('./schemas/rotationSchemas') as typeof RotationSchemas);
export const broker = lazy(() => (require('./broker') as typeof BrokerModule).getBroker());

/** The broker, or undefined while the configuration is invalid: readiness reports that rather than failing. */
export function brokerIfConfigured(): BrokerModule.Broker | undefined {
  try {
    return broker();
  } catch (error) {
    if (error instanceof ConfigurationInvalidError) return undefined;
    throw error;
  }
}
