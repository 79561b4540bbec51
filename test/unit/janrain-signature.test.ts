// Unit and property tests for src/security/janrain-signature.ts: the janrain-signed (HMAC-SHA1)
// authentication of spec capture-api §1.3. Expected signatures are computed here with node:crypto
// over strings built by hand, so the module's own sign()/stringToSign() are not their own oracle.
import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareCodePoints,
  formatSignatureDate,
  parseSignatureDate,
  sign,
  SIGNATURE_CLOCK_SKEW_MS,
  signatureHeader,
  stringToSign,
  UNSIGNED_PARAMETERS,
  verifySignature,
} from '../../src/security/janrain-signature.js';

function hmac(secret: string, text: string): string {
  return createHmac('sha1', Buffer.from(secret, 'utf8')).update(Buffer.from(text, 'utf8')).digest('base64');
}

// The published test vector (spec §1.3, from janrain-python-api's unit test).
const VECTOR = {
  clientId: 'foo',
  secret: 'bar',
  endpoint: '/entity',
  date: '2000-01-01 01:01:01',
  params: [
    ['param1', 'this is a string'],
    ['param2', '10'],
    ['param3', 'one=1\ntwo=2,three=3'],
  ] as [string, string][],
  signature: 'G3N5RxCVc0d6rDLmBRGvcg2hCVY=',
};

describe('the published test vector', () => {
  it('signs to "Signature foo:G3N5RxCVc0d6rDLmBRGvcg2hCVY="', () => {
    expect(signatureHeader(VECTOR.clientId, VECTOR.secret, VECTOR.endpoint, VECTOR.date, VECTOR.params)).toBe('Signature foo:G3N5RxCVc0d6rDLmBRGvcg2hCVY=');
  });

  it('has the string to sign of spec §1.3, value newlines verbatim', () => {
    const text = '/entity\n2000-01-01 01:01:01\nparam1=this is a string\nparam2=10\nparam3=one=1\ntwo=2,three=3\n';
    expect(stringToSign(VECTOR.endpoint, VECTOR.date, VECTOR.params)).toBe(text);
    expect(hmac('bar', text)).toBe(VECTOR.signature);
    expect(sign('bar', text)).toBe(VECTOR.signature);
  });

  it('verifies, and verifies whatever order the parameters arrive in', () => {
    expect(verifySignature(['bar'], VECTOR.endpoint, VECTOR.date, VECTOR.params, VECTOR.signature)).toBe(true);
    expect(verifySignature(['bar'], VECTOR.endpoint, VECTOR.date, [...VECTOR.params].reverse(), VECTOR.signature)).toBe(true);
    const [p1, p2, p3] = VECTOR.params as [[string, string], [string, string], [string, string]];
    expect(verifySignature(['bar'], VECTOR.endpoint, VECTOR.date, [p2, p3, p1], VECTOR.signature)).toBe(true);
  });

  it('verifies when the request also carries client_id, client_secret or access_token (they are not signed)', () => {
    const withCredentials: [string, string][] = [['client_id', 'foo'], ...VECTOR.params, ['client_secret', 'bar'], ['access_token', 'tok']];
    expect(verifySignature(['bar'], VECTOR.endpoint, VECTOR.date, withCredentials, VECTOR.signature)).toBe(true);
    expect(signatureHeader('foo', 'bar', VECTOR.endpoint, VECTOR.date, withCredentials)).toBe('Signature foo:G3N5RxCVc0d6rDLmBRGvcg2hCVY=');
    expect(stringToSign(VECTOR.endpoint, VECTOR.date, withCredentials)).toBe(stringToSign(VECTOR.endpoint, VECTOR.date, VECTOR.params));
  });

  it('fails with a wrong secret, a changed value, endpoint, date, or an added or missing parameter', () => {
    const { endpoint, date, params, signature } = VECTOR;
    const changedValue: [string, string][] = params.map(([k, v]) => [k, k === 'param2' ? '11' : v]);
    const renamedKey: [string, string][] = params.map(([k, v]) => [k === 'param2' ? 'param2 ' : k, v]);
    expect(verifySignature(['baz'], endpoint, date, params, signature)).toBe(false);
    expect(verifySignature(['bar '], endpoint, date, params, signature)).toBe(false);
    expect(verifySignature(['BAR'], endpoint, date, params, signature)).toBe(false);
    expect(verifySignature([], endpoint, date, params, signature)).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, changedValue, signature)).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, renamedKey, signature)).toBe(false);
    expect(verifySignature(['bar'], '/entity.find', date, params, signature)).toBe(false);
    expect(verifySignature(['bar'], '/entity/', date, params, signature)).toBe(false);
    expect(verifySignature(['bar'], 'entity', date, params, signature)).toBe(false);
    expect(verifySignature(['bar'], endpoint, '2000-01-01 01:01:02', params, signature)).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, [...params, ['param4', '']], signature)).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, params.slice(1), signature)).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, [...params, ['client_id2', 'foo']], signature)).toBe(false);
  });

  it('accepts the signature only in its exact base64 spelling', () => {
    const { endpoint, date, params, signature } = VECTOR;
    expect(verifySignature(['bar'], endpoint, date, params, signature.replace(/=+$/, ''))).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, params, `${signature} `)).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, params, `${signature.slice(0, 4)}\n${signature.slice(4)}`)).toBe(false);
    expect(verifySignature(['bar'], endpoint, date, params, '')).toBe(false);
  });

  it('fails with a damaged signature', () => {
    const { endpoint, date, params } = VECTOR;
    for (const signature of ['', 'G3N5RxCVc0d6rDLmBRGvcg2hCVY', 'G3N5RxCVc0d6rDLmBRGvcg2hCVZ=', 'g3N5RxCVc0d6rDLmBRGvcg2hCVY=', 'G3N5RxCVc0d6rDLmBRGvcg2hCVY= ', 'foo:G3N5RxCVc0d6rDLmBRGvcg2hCVY=', 'Signature foo:G3N5RxCVc0d6rDLmBRGvcg2hCVY=']) {
      expect(verifySignature(['bar'], endpoint, date, params, signature), JSON.stringify(signature)).toBe(false);
    }
  });
});

describe('the string to sign', () => {
  it('has two zero-parameter forms; the bare one is what signatureHeader signs', () => {
    expect(stringToSign('/entityType.list', '2016-02-26 19:08:44', [])).toBe('/entityType.list\n2016-02-26 19:08:44\n');
    expect(stringToSign('/entityType.list', '2016-02-26 19:08:44', [], 'bare')).toBe('/entityType.list\n2016-02-26 19:08:44\n');
    expect(stringToSign('/entityType.list', '2016-02-26 19:08:44', [], 'blank-line')).toBe('/entityType.list\n2016-02-26 19:08:44\n\n');
    expect(signatureHeader('id', 'sec', '/entityType.list', '2016-02-26 19:08:44', [])).toBe(`Signature id:${hmac('sec', '/entityType.list\n2016-02-26 19:08:44\n')}`);
  });

  it('with parameters, the empty-form choice does not matter', () => {
    expect(stringToSign('/e', 'd', [['a', '1']], 'blank-line')).toBe('/e\nd\na=1\n');
    expect(stringToSign('/e', 'd', [['a', '1']], 'bare')).toBe('/e\nd\na=1\n');
  });

  it('leaves out exactly client_id, client_secret and access_token', () => {
    expect([...UNSIGNED_PARAMETERS].sort()).toEqual(['access_token', 'client_id', 'client_secret']);
    expect(stringToSign('/e', 'd', [['client_id', 'x'], ['client_secret', 'y'], ['access_token', 'z']])).toBe('/e\nd\n');
    // Only exact names: look-alikes are ordinary parameters.
    expect(stringToSign('/e', 'd', [['Client_Id', 'x'], ['client_secret ', 'y'], ['for_client_id', 'z'], ['token', 't']])).toBe('/e\nd\nClient_Id=x\nclient_secret =y\nfor_client_id=z\ntoken=t\n');
  });

  it('uses raw values: no URL encoding, JSON text as sent, empty values kept', () => {
    const params: [string, string][] = [
      ['attributes', '{"givenName":"Zoë","tags":["a b","c&d"]}'],
      ['filter', "email = 'a+b@example.com' and x != '%20'"],
      ['empty', ''],
      ['flag', 'true'],
    ];
    expect(stringToSign('/entity.find', 'd', params)).toBe(
      '/entity.find\nd\nattributes={"givenName":"Zoë","tags":["a b","c&d"]}\nempty=\nfilter=email = \'a+b@example.com\' and x != \'%20\'\nflag=true\n',
    );
  });

  it('sorts whole "key=value" lines, not keys (Python sorted over the joined strings)', () => {
    // By key "a" < "a0", but as lines "a0=x" < "a=y" because "0" (0x30) < "=" (0x3D).
    expect(stringToSign('/e', 'd', [['a', 'y'], ['a0', 'x']])).toBe('/e\nd\na0=x\na=y\n');
    // Repeated keys are sorted by value.
    expect(stringToSign('/e', 'd', [['k', 'b'], ['k', 'a']])).toBe('/e\nd\nk=a\nk=b\n');
    // Upper case sorts before lower case.
    expect(stringToSign('/e', 'd', [['b', '1'], ['B', '1'], ['a', '1']])).toBe('/e\nd\nB=1\na=1\nb=1\n');
  });

  it('sorts by code point, where UTF-16 order differs (U+FF5E before U+1F600)', () => {
    const fullwidthTilde = 'k\uFF5E';
    const grinning = 'k\u{1F600}';
    // The trap: JavaScript's default sort compares UTF-16 units and puts the astral character first.
    expect([`${fullwidthTilde}=1`, `${grinning}=2`].sort()).toEqual([`${grinning}=2`, `${fullwidthTilde}=1`]);
    const expected = `/e\nd\n${fullwidthTilde}=1\n${grinning}=2\n`;
    expect(stringToSign('/e', 'd', [[grinning, '2'], [fullwidthTilde, '1']])).toBe(expected);
    expect(stringToSign('/e', 'd', [[fullwidthTilde, '1'], [grinning, '2']])).toBe(expected);
    expect(verifySignature(['s'], '/e', 'd', [[grinning, '2'], [fullwidthTilde, '1']], hmac('s', expected))).toBe(true);
    // The same in values of one key.
    expect(stringToSign('/e', 'd', [['k', '\u{1F600}'], ['k', '\uFF5E']])).toBe('/e\nd\nk=\uFF5E\nk=\u{1F600}\n');
  });

  it('signs UTF-8 bytes of the text and of the secret', () => {
    const text = stringToSign('/entity.update', '2016-02-26 19:08:44', [['attributes', '{"givenName":"Zoë 😀"}']]);
    expect(sign('sécret🔑', text)).toBe(hmac('sécret🔑', text));
    expect(sign('sécret🔑', text)).not.toBe(createHmac('sha1', Buffer.from('sécret🔑', 'latin1')).update(text, 'latin1').digest('base64'));
    expect(sign('bar', text)).toMatch(/^[A-Za-z0-9+/]{27}=$/); // standard base64 of 20 bytes, with padding
  });
});

describe('compareCodePoints', () => {
  it('orders by code point', () => {
    expect(compareCodePoints('\uFF5E', '\u{1F600}')).toBeLessThan(0);
    expect(compareCodePoints('\u{1F600}', '\uFF5E')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'b')).toBeLessThan(0);
    expect(compareCodePoints('B', 'a')).toBeLessThan(0);
    expect(compareCodePoints('a', 'a')).toBe(0);
    expect(compareCodePoints('', '')).toBe(0);
    expect(compareCodePoints('', 'a')).toBeLessThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a\u{1F600}', 'a\u{1F600}b')).toBeLessThan(0);
  });

  it('agrees with the order of UTF-8 bytes for well-formed strings (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }), (a, b) => {
        expect(Math.sign(compareCodePoints(a, b))).toBe(Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8')));
      }),
      { numRuns: 1000 },
    );
  });

  it('agrees with comparing arrays of code points, also with shared prefixes (property)', () => {
    const codePoints = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0) ?? 0);
    const reference = (a: number[], b: number[]): number => {
      for (let i = 0; i < Math.min(a.length, b.length); i += 1) if (a[i] !== b[i]) return Math.sign((a[i] ?? 0) - (b[i] ?? 0));
      return Math.sign(a.length - b.length);
    };
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 }), fc.string({ unit: 'binary', maxLength: 4 }), (prefix, a, b) => {
        expect(Math.sign(compareCodePoints(prefix + a, prefix + b))).toBe(reference(codePoints(prefix + a), codePoints(prefix + b)));
      }),
    );
  });
});

describe('verifySignature', () => {
  const endpoint = '/entity.find';
  const date = '2016-02-26 19:08:44';

  it('accepts both zero-parameter forms', () => {
    const bare = hmac('s3cret', `${endpoint}\n${date}\n`);
    const blankLine = hmac('s3cret', `${endpoint}\n${date}\n\n`);
    expect(bare).not.toBe(blankLine);
    expect(verifySignature(['s3cret'], endpoint, date, [], bare)).toBe(true);
    expect(verifySignature(['s3cret'], endpoint, date, [], blankLine)).toBe(true);
    // Parameters that are never signed leave the request a zero-parameter one.
    const credentialsOnly: [string, string][] = [['client_id', 'id'], ['client_secret', 's3cret'], ['access_token', 't']];
    expect(verifySignature(['s3cret'], endpoint, date, credentialsOnly, bare)).toBe(true);
    expect(verifySignature(['s3cret'], endpoint, date, credentialsOnly, blankLine)).toBe(true);
  });

  it('accepts no other zero-parameter variants', () => {
    for (const text of [`${endpoint}\n${date}`, `${endpoint}\n${date}\n\n\n`, `${endpoint}\n${date}\r\n`, `${endpoint} ${date}\n`, `${date}\n${endpoint}\n`]) {
      expect(verifySignature(['s3cret'], endpoint, date, [], hmac('s3cret', text)), JSON.stringify(text)).toBe(false);
    }
  });

  it('does not accept the blank-line form when there are parameters', () => {
    expect(verifySignature(['s3cret'], endpoint, date, [['a', '1']], hmac('s3cret', `${endpoint}\n${date}\na=1\n`))).toBe(true);
    expect(verifySignature(['s3cret'], endpoint, date, [['a', '1']], hmac('s3cret', `${endpoint}\n${date}\na=1\n\n`))).toBe(false);
    expect(verifySignature(['s3cret'], endpoint, date, [['a', '1']], hmac('s3cret', `${endpoint}\n${date}\n\n`))).toBe(false);
    expect(verifySignature(['s3cret'], endpoint, date, [['a', '1']], hmac('s3cret', `${endpoint}\n${date}\na=1`))).toBe(false);
  });

  it('accepts a signature made with any of the secrets (grace-period rotation)', () => {
    const text = `${endpoint}\n${date}\nfilter=id > 1\n`;
    const params: [string, string][] = [['filter', 'id > 1']];
    expect(verifySignature(['new-secret', 'old-secret'], endpoint, date, params, hmac('old-secret', text))).toBe(true);
    expect(verifySignature(['new-secret', 'old-secret'], endpoint, date, params, hmac('new-secret', text))).toBe(true);
    expect(verifySignature(['a', 'b', 'c'], endpoint, date, params, hmac('c', text))).toBe(true);
    expect(verifySignature(['new-secret', 'old-secret'], endpoint, date, params, hmac('older-secret', text))).toBe(false);
    expect(verifySignature(['new-secret'], endpoint, date, params, hmac('old-secret', text))).toBe(false);
  });

  it('verifies what signatureHeader produces, for any request (property)', () => {
    const param = fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 20 }));
    fc.assert(
      fc.property(
        fc.array(fc.string({ minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 3 }),
        fc.nat(),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 20 }),
        fc.array(param, { maxLength: 6 }).chain((params) => fc.tuple(fc.constant(params), fc.shuffledSubarray(params, { minLength: params.length }))),
        (secrets, pick, ep, d, [params, shuffled]) => {
          const secret = secrets[pick % secrets.length] ?? '';
          const header = signatureHeader('client', secret, ep, d, params);
          expect(header.startsWith('Signature client:')).toBe(true);
          const signature = header.slice('Signature client:'.length);
          expect(verifySignature(secrets, ep, d, params, signature)).toBe(true);
          expect(verifySignature(secrets, ep, d, shuffled, signature)).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('the string to sign does not depend on parameter order (property)', () => {
    const param = fc.tuple(fc.string({ unit: 'binary', maxLength: 6 }), fc.string({ unit: 'binary', maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(param, { maxLength: 8 }).chain((params) => fc.tuple(fc.constant(params), fc.shuffledSubarray(params, { minLength: params.length }))), ([params, shuffled]) => {
        expect(stringToSign('/e', 'd', shuffled)).toBe(stringToSign('/e', 'd', params));
      }),
    );
  });

  it('rejects a signature when any one parameter value changes (property)', () => {
    const param = fc.tuple(fc.string({ minLength: 1, maxLength: 8 }), fc.string({ maxLength: 12 }));
    fc.assert(
      fc.property(fc.uniqueArray(param, { minLength: 1, maxLength: 5, selector: ([k]) => k }), fc.nat(), fc.string({ minLength: 1, maxLength: 4 }), (params, pick, suffix) => {
        fc.pre(params.every(([k]) => !UNSIGNED_PARAMETERS.has(k)));
        const signature = sign('secret', stringToSign(endpoint, date, params));
        const i = pick % params.length;
        const changed = params.map(([k, v], j): [string, string] => [k, j === i ? v + suffix : v]);
        expect(verifySignature(['secret'], endpoint, date, changed, signature)).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('never throws for arbitrary strings (property)', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme-composite' }), fc.string({ unit: fc.constantFrom('\uD800', '\uDC00', 'a', '=', '\n') }));
    fc.assert(
      fc.property(fc.array(text, { maxLength: 3 }), text, text, fc.array(fc.tuple(text, text), { maxLength: 4 }), text, (secrets, ep, d, params, signature) => {
        expect(typeof verifySignature(secrets, ep, d, params, signature)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });
});

describe('parseSignatureDate', () => {
  it('reads "YYYY-MM-DD HH:MM:SS" as UTC', () => {
    expect(parseSignatureDate('2016-02-26 19:08:44')?.getTime()).toBe(Date.UTC(2016, 1, 26, 19, 8, 44));
    expect(parseSignatureDate('2000-01-01 01:01:01')?.getTime()).toBe(Date.UTC(2000, 0, 1, 1, 1, 1));
    expect(parseSignatureDate('1970-01-01 00:00:00')?.getTime()).toBe(0);
    expect(parseSignatureDate('2099-12-31 23:59:59')?.getTime()).toBe(Date.UTC(2099, 11, 31, 23, 59, 59));
  });

  it('knows leap years', () => {
    expect(parseSignatureDate('2000-02-29 00:00:00')?.getTime()).toBe(Date.UTC(2000, 1, 29));
    expect(parseSignatureDate('2024-02-29 12:00:00')?.getTime()).toBe(Date.UTC(2024, 1, 29, 12));
    expect(parseSignatureDate('2023-02-29 12:00:00')).toBeNull();
    expect(parseSignatureDate('1900-02-29 12:00:00')).toBeNull();
    expect(parseSignatureDate('2100-02-29 12:00:00')).toBeNull();
  });

  it('refuses out-of-range fields and dates that do not exist', () => {
    for (const text of [
      '2016-00-10 10:00:00',
      '2016-13-10 10:00:00',
      '2016-01-00 10:00:00',
      '2016-01-32 10:00:00',
      '2016-02-30 10:00:00',
      '2016-02-31 10:00:00',
      '2016-04-31 10:00:00',
      '2016-06-31 10:00:00',
      '2016-09-31 10:00:00',
      '2016-11-31 10:00:00',
      '2016-01-10 24:00:00',
      '2016-01-10 25:00:00',
      '2016-01-10 10:60:00',
      '2016-01-10 10:00:60',
      '2016-01-10 10:00:61',
      '2016-12-31 23:59:60',
      '2016-01-10 99:99:99',
    ]) {
      expect(parseSignatureDate(text), text).toBeNull();
    }
  });

  it('refuses other forms: ISO "T", zones, fractions, short fields, stray whitespace', () => {
    for (const text of [
      '2016-02-26T19:08:44',
      '2016-02-26T19:08:44Z',
      '2016-02-26 19:08:44Z',
      '2016-02-26 19:08:44 +0000',
      '2016-02-26 19:08:44 UTC',
      '2016-02-26 19:08:44.000',
      '2016-2-26 19:08:44',
      '2016-02-26 9:08:44',
      '16-02-26 19:08:44',
      '02016-02-26 19:08:44',
      '2016-02-26 19:08',
      '2016-02-26',
      '2016/02/26 19:08:44',
      '2016-02-26  19:08:44',
      '2016-02-26\t19:08:44',
      '2016-02-26 19:08:44 ',
      ' 2016-02-26 19:08:44',
      '2016-02-26 19:08:44\n',
      '\n2016-02-26 19:08:44',
      '2016-02-26 19:08:44\u0000',
      '２０１６-02-26 19:08:44',
      'Fri, 26 Feb 2016 19:08:44 GMT',
      '',
    ]) {
      expect(parseSignatureDate(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('keeps years below 100 as written (Date.UTC would move them to 19xx)', () => {
    const date = parseSignatureDate('0050-06-15 12:00:00');
    if (date !== null) expect(date.getUTCFullYear()).toBe(50);
  });

  it('gives back a date that formats to the same text, for every text it accepts from year 0100 on (property)', () => {
    // Years 0000-0099 are the separate case above.
    const pad = (n: number, width: number): string => String(n).padStart(width, '0');
    const text = fc
      .tuple(fc.integer({ min: 100, max: 9999 }), fc.integer({ min: 0, max: 13 }), fc.integer({ min: 0, max: 32 }), fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 60 }), fc.integer({ min: 0, max: 60 }))
      .map(([y, mo, d, h, mi, s]) => `${pad(y, 4)}-${pad(mo, 2)}-${pad(d, 2)} ${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`);
    fc.assert(
      fc.property(text, (t) => {
        const date = parseSignatureDate(t);
        if (date !== null) expect(formatSignatureDate(date)).toBe(t);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatSignatureDate', () => {
  it('writes UTC "YYYY-MM-DD HH:MM:SS", dropping milliseconds', () => {
    expect(formatSignatureDate(new Date(Date.UTC(2000, 0, 1, 1, 1, 1)))).toBe('2000-01-01 01:01:01');
    expect(formatSignatureDate(new Date(Date.UTC(2016, 1, 26, 19, 8, 44, 999)))).toBe('2016-02-26 19:08:44');
    expect(formatSignatureDate(new Date(0))).toBe('1970-01-01 00:00:00');
  });

  it('round-trips through parseSignatureDate for whole seconds between 1970 and 2100 (property)', () => {
    const second = fc.integer({ min: Date.UTC(1970, 0, 1) / 1000, max: Date.UTC(2100, 11, 31, 23, 59, 59) / 1000 });
    fc.assert(
      fc.property(second, fc.integer({ min: 0, max: 999 }), (s, ms) => {
        const whole = new Date(s * 1000);
        const text = formatSignatureDate(whole);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
        expect(parseSignatureDate(text)?.getTime()).toBe(whole.getTime());
        expect(formatSignatureDate(new Date(s * 1000 + ms))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });
});

describe('SIGNATURE_CLOCK_SKEW_MS', () => {
  it('is the ±15 minutes recommended in spec §1.3', () => {
    expect(SIGNATURE_CLOCK_SKEW_MS).toBe(15 * 60 * 1000);
  });
});
