import { LocalEnvironment, type LocalEnvironmentOptions } from '../../local/localEnvironment';

/** Fast upstream timings for tests: backoff of a millisecond, short attempts, a short budget. */
export const FAST_UPSTREAM_SETTINGS = {
  BROKER_UPSTREAM_RETRY_DELAY_MS: '1',
  BROKER_UPSTREAM_ATTEMPT_TIMEOUT_MS: '300',
  BROKER_UPSTREAM_BUDGET_MS: '2000',
  BROKER_MINT_LIMIT_PER_MINUTE: '10000',
};

/**
 * Emulators on 127.0.0.1 and the broker's configuration pointed at them. Jest gives each test file
 * its own `process.env` and module registry, so each file's broker is built from its own settings.
 */
export async function startBrokerEnvironment(
  options: LocalEnvironmentOptions = {},
  settings: Record<string, string> = {},
): Promise<LocalEnvironment> {
  const environment = await LocalEnvironment.start(options);
  Object.assign(process.env, environment.brokerSettings(), FAST_UPSTREAM_SETTINGS, settings);
  return environment;
}

export interface BrokerSuite {
  env: LocalEnvironment;
  /** `Bearer <token>` of a caller holding every app role. */
  authorization: string;
}

/**
 * A test file's emulators and broker settings: started before its tests, faults and call counts
 * cleared before each test, stopped after the file.
 */
export function useBrokerEnvironment(options: LocalEnvironmentOptions = {}, settings: Record<string, string> = {}): BrokerSuite {
  const suite = {} as BrokerSuite;
  beforeAll(async () => {
    suite.env = await startBrokerEnvironment(options, settings);
    suite.authorization = `Bearer ${await suite.env.callerToken()}`;
  });
  afterAll(() => suite.env?.stop());
  beforeEach(() => {
    suite.env.clearFaults();
    suite.env.resetCalls();
  });
  return suite;
}
