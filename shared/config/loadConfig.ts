import { azureOnlyProblems, type BrokerConfig, environmentSchema } from './configSchema';

/** A start-up failure listing every setting that is missing or wrong. */
export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(`The broker's configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigurationError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  const result = environmentSchema.safeParse(env);
  const problems = [
    ...(result.success ? [] : result.error.issues.map((issue) => `${String(issue.path[0] ?? 'environment')} ${issue.message}`)),
    ...azureOnlyProblems(env),
  ];
  if (problems.length > 0 || !result.success) throw new ConfigurationError(problems);
  return result.data;
}

let current: BrokerConfig | undefined;

/** The process's configuration, parsed on first use and kept. */
export function getConfig(): BrokerConfig {
  current ??= loadConfig();
  return current;
}
