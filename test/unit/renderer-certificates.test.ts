// Unit tests of the certificates view's pure logic: expiry classification (a warning 30 days
// before valid_to, an error once it has passed), subjectAltName parsing, serials as the node
// compares them, the list's order and summary, and the add form's zod schema.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addCertificateSchema, pemProblem } from '../../renderer/api/operations/add-certificate.ts';
import type { CertificateRecord } from '../../renderer/api/operations/list-certificates.ts';
import {
  classifyExpiry,
  commonName,
  DAY_MS,
  EXPIRY_WARNING_DAYS,
  expirySummary,
  formatSpan,
  normalizeSerial,
  parseUses,
  serialListed,
  serialProblem,
  shortSerial,
  sortCertificates,
  subjectAltNames,
} from '../../renderer/features/certificates/model.ts';

const NOW = Date.parse('2026-06-01T12:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const FROM = iso(NOW - 100 * DAY_MS);

test('expiry: valid while more than 30 days remain, a warning from 30 days, an error once expired', () => {
  assert.equal(EXPIRY_WARNING_DAYS, 30);
  const at = (remainingMs: number) => classifyExpiry(FROM, iso(NOW + remainingMs), NOW);

  const valid = at(30 * DAY_MS + 1);
  assert.deepEqual([valid.state, valid.tone, valid.label], ['valid', 'ok', 'Valid']);
  assert.equal(valid.remainingMs, 30 * DAY_MS + 1);

  const boundary = at(30 * DAY_MS);
  assert.deepEqual([boundary.state, boundary.tone, boundary.label], ['expiring', 'warn', 'Expires in 30 days']);
  // Part days count as days: a certificate made for 10 days a minute ago still has "10 days".
  assert.equal(at(10 * DAY_MS - 60_000).label, 'Expires in 10 days');
  assert.equal(at(3_600_000).label, 'Expires in 1 day');
  assert.equal(at(1).state, 'expiring');

  for (const remaining of [0, -1, -400 * DAY_MS]) {
    const expired = at(remaining);
    assert.deepEqual([expired.state, expired.tone, expired.label], ['expired', 'bad', 'Expired'], `remaining ${remaining}`);
  }
  assert.match(at(-3 * DAY_MS).description, /^Expired 3 days ago \(2026-05-29\)/);
  assert.match(at(12 * DAY_MS).description, /^Expires on 2026-06-13, in 12 days/);
  assert.match(at(400 * DAY_MS).description, /^Valid until 2027-07-06, 13 months from now/);
});

test('expiry: not yet valid, expired wins over not yet valid, unknown dates', () => {
  const future = classifyExpiry(iso(NOW + 2 * DAY_MS), iso(NOW + 300 * DAY_MS), NOW);
  assert.deepEqual([future.state, future.tone, future.label], ['not-yet-valid', 'warn', 'Not yet valid']);
  assert.equal(classifyExpiry(iso(NOW + DAY_MS), iso(NOW - DAY_MS), NOW).state, 'expired');
  for (const validTo of [undefined, null, '', 'not a date', {}]) {
    const unknown = classifyExpiry(FROM, validTo, NOW);
    assert.deepEqual([unknown.state, unknown.tone, unknown.remainingMs], ['unknown', 'idle', null]);
  }
  // A missing valid_from does not hide the expiry.
  assert.equal(classifyExpiry(undefined, iso(NOW + 5 * DAY_MS), NOW).state, 'expiring');
});

test('expiry: HarperDB’s OpenSSL dates and epoch milliseconds read as well as ISO', () => {
  assert.equal(classifyExpiry('Jan  1 00:00:00 2020 GMT', 'Jun 20 12:00:00 2026 GMT', NOW).label, 'Expires in 19 days');
  assert.equal(classifyExpiry(NOW - DAY_MS, NOW + 365 * DAY_MS, NOW).state, 'valid');
});

test('spans read as a person says them', () => {
  assert.equal(formatSpan(10 * 365 * DAY_MS), '10 years');
  assert.equal(formatSpan(397 * DAY_MS), '13 months');
  assert.equal(formatSpan(59 * DAY_MS), '59 days');
  assert.equal(formatSpan(DAY_MS), '1 day');
  assert.equal(formatSpan(-2 * 3_600_000), '2 hours');
  assert.equal(formatSpan(60_000), 'less than an hour');
});

test('subjectAltName: the names without their type prefixes', () => {
  assert.deepEqual(subjectAltNames('DNS:node-1, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1'), ['node-1', 'localhost', '127.0.0.1', '0:0:0:0:0:0:0:1']);
  assert.deepEqual(subjectAltNames('URI:spiffe://x/y, email:a@b.c'), ['spiffe://x/y', 'a@b.c']);
  assert.deepEqual(subjectAltNames(null), []);
  assert.deepEqual(subjectAltNames(''), []);
  assert.equal(commonName('CN=node-1, O=Peerdesk'), 'node-1');
  assert.equal(commonName('O=Peerdesk, CN=node-2'), 'node-2');
  assert.equal(commonName('O=Only an organisation'), 'O=Only an organisation');
  assert.equal(commonName(undefined), '');
});

test('serials: compared as the node compares them; checked before they are sent', () => {
  assert.equal(normalizeSerial('0a:1b:ff'), 'A1BFF');
  assert.equal(normalizeSerial('00'), '0');
  assert.ok(serialListed(['A1BFF'], '0a:1b:ff'));
  assert.ok(!serialListed(['A1BFF'], 'A1BF'));
  assert.equal(serialProblem('3F:A2:00:11'), null);
  assert.equal(serialProblem('3fa2 0011'), null);
  assert.match(serialProblem('') ?? '', /Enter the serial/);
  assert.match(serialProblem('xyz') ?? '', /hexadecimal/);
  assert.match(serialProblem('3F::A2') ?? '', /hexadecimal/);
  assert.match(serialProblem('F'.repeat(129)) ?? '', /at most 64 bytes/);
  assert.equal(shortSerial('0123456789ABCDEF0123'), '012345…EF0123');
  assert.equal(shortSerial('ABCD'), 'ABCD');
});

const record = (name: string, is_authority: boolean, valid_to: string): CertificateRecord => ({
  name,
  certificate: '',
  is_authority,
  details: { valid_from: FROM, valid_to },
});

test('the list: CAs first then by name; the summary names what expired and what expires soon', () => {
  const records = [
    record('zeta', false, iso(NOW + 400 * DAY_MS)),
    record('old', false, iso(NOW - DAY_MS)),
    record('root', true, iso(NOW + 3000 * DAY_MS)),
    record('alpha', false, iso(NOW + 5 * DAY_MS)),
  ];
  assert.deepEqual(sortCertificates(records).map((r) => r.name), ['root', 'alpha', 'old', 'zeta']);
  assert.deepEqual(expirySummary(records, NOW), { expired: ['old'], expiring: ['alpha'] });
  assert.deepEqual(expirySummary([], NOW), { expired: [], expiring: [] });
});

const CERT = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n';

test('the add form’s schema: a name the node accepts and PEM blocks of the right kind', () => {
  const parsed = addCertificateSchema.parse({ name: '  node-1 2026 ', certificate: CERT, is_authority: false, private_key: KEY, uses: [' wss', 'https'] });
  assert.deepEqual(parsed, { name: 'node-1 2026', certificate: CERT, is_authority: false, private_key: KEY, uses: ['wss', 'https'] });
  assert.ok(addCertificateSchema.safeParse({ name: 'ca', certificate: CERT, is_authority: true }).success);

  const messages = (input: Record<string, unknown>) => {
    const result = addCertificateSchema.safeParse({ name: 'n', certificate: CERT, is_authority: false, ...input });
    return result.success ? [] : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  };
  assert.equal(messages({ name: '' })[0], 'name: Give the certificate a name', 'the first message is the one the form shows');
  assert.match(messages({ name: '-leading dash' })[0] ?? '', /^name: Use letters, digits/);
  assert.match(messages({ name: 'x'.repeat(201) })[0] ?? '', /^name: At most 200/);
  assert.match(messages({ certificate: 'hello' })[0] ?? '', /^certificate: Not a PEM certificate/);
  assert.match(messages({ certificate: KEY })[0] ?? '', /^certificate: This holds a private key/);
  assert.match(messages({ certificate: CERT + KEY })[0] ?? '', /^certificate: This holds a private key/);
  assert.match(messages({ private_key: CERT })[0] ?? '', /^private_key: Not a PEM private key/);
  assert.match(messages({ private_key: '-----BEGIN ENCRYPTED PRIVATE KEY-----\nx\n-----END ENCRYPTED PRIVATE KEY-----' })[0] ?? '', /^private_key: This private key is encrypted/);
  assert.match(messages({ private_key: KEY + CERT })[0] ?? '', /^private_key: This also holds a certificate/);
  assert.match(messages({ uses: Array.from({ length: 21 }, (_, i) => `u${i}`) })[0] ?? '', /^uses: At most 20 uses/);
  assert.match(messages({ uses: ['x'.repeat(65)] })[0] ?? '', /^uses\.0: A use is at most 64/);

  // RSA and EC keys in their traditional PEM forms are keys too.
  assert.equal(pemProblem('privateKey', KEY.replaceAll('PRIVATE KEY', 'RSA PRIVATE KEY')), null);
  assert.equal(pemProblem('privateKey', KEY.replaceAll('PRIVATE KEY', 'EC PRIVATE KEY')), null);
  assert.match(pemProblem('certificate', 'x'.repeat(256 * 1024 + 1)) ?? '', /the node takes at most/);
  assert.deepEqual(parseUses(' wss, https  custom,wss '), ['wss', 'https', 'custom']);
});
