/** Timestamps as stored: `2026-01-02T03:04:05.678000Z` (microsecond width, UTC). */
export function toStoredTimestamp(date: Date): string {
  return date.toISOString().replace('Z', '000Z');
}

export const nowTimestamp = (): string => toStoredTimestamp(new Date());
