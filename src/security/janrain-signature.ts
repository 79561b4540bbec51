// janrain-signed requests (spec capture-api §1.3): HMAC-SHA1 over the endpoint, the Date header and
// the sorted `key=value` lines of every parameter except the credentials themselves.
import { createHmac } from 'node:crypto';
import { fixedLengthEqual } from './constant-time.js';

/** Parameters that are never part of the signed string (the python client removes them before signing). */
export const UNSIGNED_PARAMETERS: ReadonlySet<string> = new Set(['client_id', 'client_secret', 'access_token']);

/** Allowed distance between the request's Date header and the server clock. */
export const SIGNATURE_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** Orders strings by Unicode code point, as the reference client (Python `sorted`) does. */
export function compareCodePoints(a: string, b: string): number {
  const ia = a[Symbol.iterator]();
  const ib = b[Symbol.iterator]();
  for (;;) {
    const ca = ia.next();
    const cb = ib.next();
    if (ca.done || cb.done) return ca.done && cb.done ? 0 : ca.done ? -1 : 1;
    const d = (ca.value.codePointAt(0) ?? 0) - (cb.value.codePointAt(0) ?? 0);
    if (d !== 0) return d;
  }
}

function parameterLines(params: Iterable<[string, string]>): string[] {
  const lines: string[] = [];
  for (const [key, value] of params) if (!UNSIGNED_PARAMETERS.has(key)) lines.push(`${key}=${value}`);
  return lines.sort(compareCodePoints);
}

/**
 * The string to sign. With no parameters the reference client signs `{endpoint}\n{date}\n`, while the
 * published sample signs `{endpoint}\n{date}\n\n`; `emptyForm` picks which.
 */
export function stringToSign(endpoint: string, date: string, params: Iterable<[string, string]>, emptyForm: 'bare' | 'blank-line' = 'bare'): string {
  return textFromLines(endpoint, date, parameterLines(params), emptyForm);
}

function textFromLines(endpoint: string, date: string, lines: readonly string[], emptyForm: 'bare' | 'blank-line'): string {
  if (lines.length === 0) return emptyForm === 'bare' ? `${endpoint}\n${date}\n` : `${endpoint}\n${date}\n\n`;
  return `${endpoint}\n${date}\n${lines.join('\n')}\n`;
}

export function sign(secret: string, text: string): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(text, 'utf8').digest('base64');
}

/** The `Authorization` header value a client sends. */
export function signatureHeader(clientId: string, secret: string, endpoint: string, date: string, params: Iterable<[string, string]>): string {
  return `Signature ${clientId}:${sign(secret, stringToSign(endpoint, date, params))}`;
}

/**
 * True when `signature` was made with one of `secrets`, in either zero-parameter form. Constant time
 * per comparison; a signature's length is fixed by HMAC-SHA1 and base64, so it is no secret.
 */
export function verifySignature(secrets: readonly string[], endpoint: string, date: string, params: [string, string][], signature: string): boolean {
  const lines = parameterLines(params);
  const texts = [textFromLines(endpoint, date, lines, 'bare')];
  if (lines.length === 0) texts.push(textFromLines(endpoint, date, lines, 'blank-line'));
  let ok = false;
  for (const secret of secrets) for (const text of texts) ok = fixedLengthEqual(sign(secret, text), signature) || ok;
  return ok;
}

/** Parses the Date header form `YYYY-MM-DD HH:MM:SS` (UTC); null when malformed. */
export function parseSignatureDate(text: string): Date | null {
  const m = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/.exec(text);
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  const date = new Date(Date.UTC(2000, mo - 1, d, h, mi, s));
  date.setUTCFullYear(y, mo - 1, d); // Date.UTC would read years 0-99 as 1900-1999
  // Refuse dates that rolled over (2016-02-30 and the like).
  if (date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  return date;
}

export function formatSignatureDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}
