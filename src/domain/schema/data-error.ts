// A record or schema that breaks a rule. Domain code throws only this (never a bare Error) for bad
// input, so every caller can turn it into the API's own error without guessing.
import type { ErrorCode } from '../error-codes.js';

export type DataErrorCode = Extract<ErrorCode, 100 | 200 | 201 | 222 | 223 | 232 | 233 | 234 | 300 | 310 | 320 | 330 | 340 | 341 | 342 | 350 | 360 | 361 | 362 | 363 | 485 | 504>;

export class DataError extends Error {
  override name = 'DataError';
  constructor(
    readonly code: DataErrorCode,
    message: string,
    /** The attribute path the problem is about (slash form, e.g. `/primaryAddress/city`), if any. */
    readonly attribute?: string,
    /** For code 200: the request argument that was invalid. */
    readonly argument?: string,
  ) {
    // An expected answer, not a fault: no stack trace to capture or leak.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(message);
    Error.stackTraceLimit = limit;
  }
}
