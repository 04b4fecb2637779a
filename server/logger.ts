/**
 * @module server/logger
 * JSON-lines logging on stdout with pino. Token-bearing fields are redacted by path so that a
 * token can never reach a log line even if a caller passes one by mistake.
 */
import pino from "pino";
import type { Logger } from "./core/types.ts";

const REDACT = [
  "token", "*.token", "authorization", "*.authorization", "headers.authorization", "req.headers.authorization",
  "jwtSecret", "adminToken", "viewerToken", "emitToken", "*.jwtSecret", "*.adminToken", "*.viewerToken", "*.emitToken",
];

export function createLogger(level: string, name: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      name,
      base: { pid: process.pid },
      redact: { paths: REDACT, censor: "[redacted]" },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? pino.destination({ dest: 1, sync: true }),
  );
}
