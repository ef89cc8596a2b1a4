/** Everything the contract tests share: the system, accounts, flows and event streams. */
export * from './flows.ts';
export * from './sse.ts';
export * from './system.ts';
