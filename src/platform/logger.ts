import { ecsFormat } from '@elastic/ecs-pino-format';
import { type Logger, pino } from 'pino';

/** JSON logs with Elastic Common Schema field names so an ELK pipeline ingests them unchanged. */
export function createLogger(level: string, name = 'queueticket'): Logger {
  return pino({ ...ecsFormat({ convertReqRes: true }), level, name });
}

export type { Logger };
