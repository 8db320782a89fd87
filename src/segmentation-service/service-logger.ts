// The logging the embedded service needs: pino-compatible methods, so a pino logger can be
// passed in, and a silent default for tests and embedding.

export interface ServiceLogger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
}

const ignore = () => {};

export const silentLogger: ServiceLogger = {
  debug: ignore,
  info: ignore,
  warn: ignore,
  error: ignore,
};
