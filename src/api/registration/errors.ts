// The Registration API's error envelope (spec capture-error-codes.md): HTTP 200 with
// {"stat":"error","code","error","error_description","request_id"}. One canonical name per code.
// Operations throw RegistrationError; the transport renders it.
import { ERROR_NAMES, type ErrorCode } from '../../domain/error-codes.js';

export { ERROR_NAMES };

export type RegistrationErrorCode = ErrorCode;

export class RegistrationError extends Error {
  readonly code: RegistrationErrorCode;
  readonly description: string;
  readonly extra: Record<string, unknown>;

  constructor(code: RegistrationErrorCode, description: string, extra: Record<string, unknown> = {}) {
    // An API error is an expected answer, not a fault: skip capturing a stack trace (a measurable
    // share of a refused call's cost) and never render one.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(description);
    Error.stackTraceLimit = limit;
    this.name = 'RegistrationError';
    this.code = code;
    this.description = description;
    this.extra = extra;
  }

  get error(): string {
    return ERROR_NAMES[this.code];
  }

  toBody(requestId: string): Record<string, unknown> {
    return { stat: 'error', code: this.code, error: this.error, error_description: this.description, ...this.extra, request_id: requestId };
  }
}

export const missingArgument = (name: string): RegistrationError =>
  new RegistrationError(100, `missing required argument: ${name}`, { argument_name: name });

export const invalidArgument = (name: string, reason: string): RegistrationError =>
  new RegistrationError(200, `${name} was not valid for the following reason: ${reason}`, { argument_name: name });

export const duplicateArgument = (names: string[]): RegistrationError =>
  new RegistrationError(201, `these arguments cannot be used together: ${names.join(', ')}`, { argument_names: names });

export const invalidClientCredentials = (): RegistrationError =>
  new RegistrationError(402, 'client_id and client_secret are invalid');

export const clientPermissionError = (): RegistrationError =>
  new RegistrationError(403, 'the provided client does not have authorization for this action');

export const apiLimitError = (retryAfterSeconds: number): RegistrationError =>
  new RegistrationError(510, `too many failed authentication attempts; retry in ${retryAfterSeconds} seconds`);
