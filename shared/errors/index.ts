export * from './brokerError';
export * from './clientErrors';
export * from './serverErrors';
