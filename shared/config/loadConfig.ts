import { ConfigurationInvalidError, type SettingProblem } from '../errors';
import { azureOnlyProblems, type BrokerConfig, environmentSchema } from './configSchema';

/** The configuration the environment describes, or a {@link ConfigurationInvalidError} listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const result = environmentSchema.safeParse(env);
  const problems: SettingProblem[] = [
    ...(result.success
      ? []
      : result.error.issues.map((issue) => ({ setting: String(issue.path[0] ?? 'environment'), message: issue.message }))),
    ...azureOnlyProblems(env),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigurationInvalidError(problems);
  return result.data;
}

let current: BrokerConfig | undefined;

/**
 * The process's configuration, parsed on first use and kept. While it is invalid every call
 * throws again, so each request answers 503 `ConfigurationInvalid` rather than a cached failure.
 */
export function getConfig(): BrokerConfig {
  current ??= loadConfig();
  return current;
}
