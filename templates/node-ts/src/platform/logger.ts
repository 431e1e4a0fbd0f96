// JSON logs: one object per line on stdout, with time (RFC 3339), level and msg
// first, like every stack of the service.
import { pino, type DestinationStream, type Logger } from "pino";

export type { Logger } from "pino";

/** A logger writing to stdout, or to `destination` (the tests read it). */
export function createLogger(
  level: string,
  destination?: DestinationStream,
): Logger {
  const options = {
    level,
    // No pid or hostname on every line: the platform adds where it ran.
    base: null,
    // pino writes epoch milliseconds by default.
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: {
      level: (label: string) => ({ level: label }),
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
