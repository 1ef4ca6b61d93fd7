/**
 * Syslog into a real `brook serve`: util-linux `logger` sends RFC 5424 and RFC 3164 over UDP and
 * TCP (LF framing and octet counting); a raw socket sends what logger cannot (not syslog, not
 * UTF-8, longer than max_line_bytes); TLS (RFC 5425) with the server's certificate; and a UDP
 * flood past a small receive buffer, whose losses are counted exactly while the broker stays up;
 * and, with one fixed topic, the byte paths (TCP on its own thread, UDP) with logger's defaults.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import dgram from 'node:dgram';
import net from 'node:net';
import os from 'node:os';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePki } from '../../security/helpers.js';
import { header, hostPort, readTopic, requireTool, sleep, startServe, waitForRecords, type Serve } from '../helpers.js';

const loggerFound = requireTool('logger', ['--version'], 'apt-get install bsdutils');

function logger(url: string, args: string[]): void {
  const { port } = hostPort(url);
  const transport = url.startsWith('udp') ? '-d' : '-T';
  execFileSync('logger', ['-n', '127.0.0.1', '-P', String(port), transport, ...args], { timeout: 30_000 });
}

interface Parsed {
  format: string;
  facility: string;
  severity: string;
  hostname: string | null;
  app_name: string | null;
  procid: string | null;
  msgid: string | null;
  structured_data: Record<string, Record<string, string>> | null;
  message: string;
  timestamp: string | null;
}

describe.skipIf(!loggerFound)('syslog inputs of brook serve', () => {
  let serve: Serve;
  let udp: string;
  let tcp: string;

  beforeAll(async () => {
    serve = await startServe(['--syslog', 'udp://127.0.0.1:0', '--syslog', 'tcp://127.0.0.1:0', '--syslog-topic', 'syslog.{app_name}', '--http', '127.0.0.1:0']);
    [udp, tcp] = serve.syslog as [string, string];
  });

  afterAll(async () => {
    expect(await serve?.stop()).toBe(0);
  });

  it('parses RFC 5424 from logger over UDP and TCP: PRI, header fields, structured data, own timestamp, key = hostname', async () => {
    const common = ['--rfc5424', '-p', 'local3.warning', '--msgid', 'ID47', '--sd-id', 'ex@32473', '--sd-param', 'iut="3"', '--sd-param', 'src="app"'];
    const before = Date.now();
    logger(udp, [...common, '-t', 'app5424', 'hello over udp']);
    logger(tcp, [...common, '-t', 'app5424', 'hello over tcp']);
    logger(tcp, [...common, '--octet-count', '-t', 'app5424', 'hello counted']);
    const records = await waitForRecords(serve.address, 'syslog.app5424', 3);
    const parsed = records.map((r) => JSON.parse(r.value!.toString()) as Parsed);
    expect(parsed.map((p) => p.message).sort()).toEqual(['hello counted', 'hello over tcp', 'hello over udp']);
    for (const [i, p] of parsed.entries()) {
      expect(p).toMatchObject({ format: 'rfc5424', facility: 'local3', severity: 'warning', app_name: 'app5424', msgid: 'ID47' });
      expect(p.structured_data?.['ex@32473']).toEqual({ iut: '3', src: 'app' });
      expect(records[i]!.key?.toString()).toBe(p.hostname);
      expect(records[i]!.timestamp).toBe(Date.parse(p.timestamp!));
      expect(records[i]!.timestamp).toBeGreaterThanOrEqual(before - 1000);
    }
    expect(parsed[0]!.hostname).toBe(os.hostname());
  });

  it('parses RFC 3164 from logger over UDP and TCP: tag, pid, local-time timestamp', async () => {
    logger(udp, ['--rfc3164', '-p', 'mail.err', '-t', 'app3164', '-i', 'bsd over udp']);
    logger(tcp, ['--rfc3164', '-p', 'mail.err', '-t', 'app3164', 'bsd over tcp']);
    const records = await waitForRecords(serve.address, 'syslog.app3164', 2);
    const parsed = records.map((r) => JSON.parse(r.value!.toString()) as Parsed);
    expect(parsed.map((p) => p.message).sort()).toEqual(['bsd over tcp', 'bsd over udp']);
    for (const p of parsed) expect(p).toMatchObject({ format: 'rfc3164', facility: 'mail', severity: 'err', app_name: 'app3164', hostname: os.hostname() });
    expect(parsed.find((p) => p.message === 'bsd over udp')!.procid).toMatch(/^\d+$/);
    // RFC 3164 has second precision and no year: within a minute of now is the same instant.
    expect(Math.abs(records[0]!.timestamp - Date.now())).toBeLessThan(60_000);
  });

  it('keeps what does not parse raw with a header, cuts long messages with one, and keeps reading the connection', async () => {
    const socket = net.connect(hostPort(tcp));
    await new Promise((resolve) => socket.once('connect', resolve));
    const long = `<14>1 - host1 applong - - - ${'x'.repeat(300_000)}`;
    socket.write('this is not syslog\n');
    socket.write(Buffer.concat([Buffer.from('<13>1 - host1 appbin - - - bad '), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]));
    socket.write(`${long}\n`);
    socket.write('<13>1 - host1 appafter - - - still reading\n');
    socket.end();
    const unknown = await waitForRecords(serve.address, 'syslog.unknown', 2);
    expect(unknown.map((r) => r.value!.toString('latin1'))).toEqual(['this is not syslog', '<13>1 - host1 appbin - - - bad \xff\xfe']);
    expect(unknown.map((r) => header(r, 'brook.parse-error'))).toEqual(['no <PRI> at the start', 'not UTF-8']);
    const [cut] = await waitForRecords(serve.address, 'syslog.applong', 1);
    expect(header(cut!, 'brook.truncated')).toBe(String(long.length));
    expect(cut!.value!.length).toBeLessThanOrEqual(102_400 + 1000);
    expect((JSON.parse(cut!.value!.toString()) as Parsed).message).toMatch(/^x+$/);
    expect(await waitForRecords(serve.address, 'syslog.appafter', 1)).toHaveLength(1);
  });
});

describe.skipIf(!loggerFound)('syslog byte paths of brook serve (one fixed topic: TCP on its own thread)', () => {
  it('parses logger\'s RFC 5424 with its default structured data and RFC 3164 with a pid, over UDP and TCP: fields, key, timestamp', async () => {
    const serve = await startServe(['--syslog', 'udp://127.0.0.1:0', '--syslog', 'tcp://127.0.0.1:0']);
    try {
      const [udp, tcp] = serve.syslog as [string, string];
      logger(udp, ['--rfc5424', '-p', 'user.notice', '-t', 'sd5424', 'sd over udp']); // logger adds [timeQuality ...]
      logger(tcp, ['--rfc5424', '-p', 'user.notice', '-t', 'sd5424', 'sd over tcp']);
      logger(tcp, ['--rfc5424', '-t', 'sd5424', '--sd-id', 'ex@32473', '--sd-param', 'q="a \\"b\\" c\\]"', 'escaped sd']);
      logger(udp, ['--rfc3164', '-p', 'mail.err', '-t', 'bsd', '-i', 'bsd over udp']);
      logger(tcp, ['--rfc3164', '-p', 'mail.err', '-t', 'bsd', '-i', 'bsd over tcp']);
      const socket = net.connect(hostPort(tcp));
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.end(Buffer.concat([Buffer.from('<13>Dec  7 19:37:00 host9 app[1]: bad '), Buffer.from([0xff]), Buffer.from('\n')]));
      const records = await waitForRecords(serve.address, 'syslog', 6);
      const byMessage = new Map(records.filter((r) => header(r, 'brook.parse-error') === undefined)
        .map((r) => [(JSON.parse(r.value!.toString()) as Parsed).message, { record: r, parsed: JSON.parse(r.value!.toString()) as Parsed }]));
      for (const message of ['sd over udp', 'sd over tcp']) {
        const { record, parsed } = byMessage.get(message)!;
        expect(parsed).toMatchObject({ format: 'rfc5424', facility: 'user', severity: 'notice', app_name: 'sd5424', hostname: os.hostname() });
        expect(Object.keys(parsed.structured_data!)).toContain('timeQuality');
        expect(parsed.structured_data!.timeQuality!.tzKnown).toMatch(/^[01]$/);
        expect(record.key?.toString()).toBe(os.hostname());
        expect(record.timestamp).toBe(Date.parse(parsed.timestamp!));
      }
      expect(byMessage.get('escaped sd')!.parsed.structured_data!['ex@32473']).toEqual({ q: 'a "b" c]' });
      for (const message of ['bsd over udp', 'bsd over tcp']) {
        const { record, parsed } = byMessage.get(message)!;
        expect(parsed).toMatchObject({ format: 'rfc3164', facility: 'mail', severity: 'err', app_name: 'bsd', hostname: os.hostname(), msgid: null });
        expect(parsed.procid).toMatch(/^\d+$/);
        expect(record.key?.toString()).toBe(os.hostname());
        expect(Date.parse(parsed.timestamp!)).toBe(record.timestamp);
        expect(Math.abs(record.timestamp - Date.now())).toBeLessThan(60_000); // second precision, no year: the same minute
      }
      const bad = records.find((r) => header(r, 'brook.parse-error') !== undefined)!;
      expect(header(bad, 'brook.parse-error')).toBe('not UTF-8');
      expect(bad.key).toBeNull();
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});

const kcatFound = requireTool('kcat', ['-V'], 'apt-get install kcat');

describe.skipIf(!kcatFound)('syslog over TLS (RFC 5425)', () => {
  it('takes octet-counted messages over TLS with the server certificate', async () => {
    const pki = makePki();
    const serve = await startServe(['--tls-cert', pki.serverCert, '--tls-key', pki.serverKey, '--syslog', 'tls://127.0.0.1:0']);
    try {
      const socket = tls.connect({ ...hostPort(serve.syslog[0]!), ca: [fs.readFileSync(pki.ca)], servername: 'localhost' });
      await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      for (const text of ['one', 'two']) {
        const message = `<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application"] ${text}`;
        socket.write(`${Buffer.byteLength(message)} ${message}`);
      }
      socket.end();
      // The Kafka listener is TLS too: read back with kcat over TLS (-J: one JSON envelope per record).
      type Envelope = { key: string; payload: string; ts: number };
      let records: Envelope[] = [];
      for (let attempt = 0; attempt < 100 && records.length < 2; attempt++) {
        const out = spawnSync('kcat', ['-b', serve.address, '-X', 'security.protocol=ssl', '-X', `ssl.ca.location=${pki.ca}`, '-C', '-t', 'syslog', '-o', 'beginning', '-e', '-J', '-q'], { encoding: 'utf8', timeout: 30_000 });
        records = out.stdout.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Envelope);
        if (records.length < 2) await sleep(300);
      }
      expect(records.map((r) => (JSON.parse(r.payload) as Parsed).message)).toEqual(['one', 'two']);
      expect(records[0]!.ts).toBe(Date.parse('2003-10-11T22:14:15.003Z'));
      expect(records[0]!.key).toBe('mymachine.example.com');
    } finally {
      expect(await serve.stop()).toBe(0);
    }
  });
});

describe('a UDP syslog flood past the socket buffer', () => {
  it('counts every datagram the kernel dropped, writes the rest, and the broker stays up', async () => {
    const serve = await startServe(['--syslog', 'udp://127.0.0.1:0', '--syslog-udp-buffer-bytes', '4096', '--http', '127.0.0.1:0']);
    try {
      const sentCount = 100_000;
      const sender = dgram.createSocket('udp4');
      const { host, port } = hostPort(serve.syslog[0]!);
      let sent = 0;
      while (sent < sentCount) {
        // Bursts of sends without waiting: far faster than one event loop turn can read.
        const burst: Promise<void>[] = [];
        for (let i = 0; i < 500 && sent < sentCount; i++, sent++) {
          burst.push(new Promise((resolve, reject) => sender.send(`<13>1 - flood app - - - message ${sent}`, port, host, (error) => (error ? reject(error) : resolve()))));
        }
        await Promise.all(burst);
      }
      sender.close();
      type Counts = { name: string; receivedCount: number; acknowledgedCount: number; droppedKernelCount: number; droppedBackpressureCount: number };
      // Settled: every received datagram acknowledged (or dropped for backpressure), and the same
      // counts on three polls in a row (the kernel's drop counter is read once a second).
      let counts!: Counts;
      let previous = '';
      for (let stable = 0; stable < 3;) {
        await sleep(700);
        const { inputs } = (await (await fetch(`${serve.httpUrl}/inputs`)).json()) as { inputs: Counts[] };
        counts = inputs.find((input) => input.name.startsWith('syslog udp'))!;
        const settled = counts.acknowledgedCount + counts.droppedBackpressureCount === counts.receivedCount;
        stable = settled && JSON.stringify(counts) === previous ? stable + 1 : 0;
        previous = JSON.stringify(counts);
      }
      expect(counts.receivedCount + counts.droppedKernelCount).toBe(sentCount);
      expect(counts.droppedKernelCount).toBeGreaterThan(0);
      const records = await readTopic(serve.address, 'syslog');
      expect(records.length).toBe(counts.acknowledgedCount);
      expect(records.length).toBeGreaterThan(0);
      expect((await fetch(`${serve.httpUrl}/healthz`)).status).toBe(200);
      // The server log says so too (reported at the latest when the input stops).
      expect(await serve.stop()).toBe(0);
      expect(serve.stderr()).toMatch(/syslog udp:\/\/127\.0\.0\.1:\d+: .*droppedKernelCount \+\d+/);
    } finally {
      await serve.stop();
    }
  });
});
