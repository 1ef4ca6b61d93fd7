/**
 * A parsed syslog message, the same shape for RFC 5424 and RFC 3164 (fields the format lacks are
 * null), and the names of PRI's facility and severity (RFC 5424 §6.2.1, tables 1 and 2).
 * This object, as JSON, is the record value of the syslog input (unless --syslog-format raw).
 */

export interface SyslogMessage {
  format: 'rfc5424' | 'rfc3164';
  /** PRI: facility * 8 + severity. */
  priority: number;
  facility: string;
  severity: string;
  /** RFC 5424's VERSION (1); null for RFC 3164. */
  version: number | null;
  /** As sent for RFC 5424 (RFC 3339, offset kept); ISO 8601 UTC for RFC 3164 (which has no zone or year). */
  timestamp: string | null;
  hostname: string | null;
  app_name: string | null;
  procid: string | null;
  msgid: string | null;
  /** SD-ID → { PARAM-NAME: PARAM-VALUE } (a repeated name keeps the last value). */
  structured_data: Record<string, Record<string, string>> | null;
  message: string;
}

export interface ParsedSyslog {
  message: SyslogMessage;
  /** The message's own time (ms since the epoch); null when it has none (NILVALUE). */
  timestampMs: number | null;
}

const FACILITIES = [
  'kern', 'user', 'mail', 'daemon', 'auth', 'syslog', 'lpr', 'news', 'uucp', 'cron', 'authpriv', 'ftp',
  'ntp', 'security', 'console', 'solaris-cron', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5',
  'local6', 'local7',
] as const;
const SEVERITIES = ['emerg', 'alert', 'crit', 'err', 'warning', 'notice', 'info', 'debug'] as const;

/** The largest PRI: facility 23 (local7), severity 7 (debug). */
export const PRIORITY_MAX = 191;

export function facilityName(priority: number): string {
  return FACILITIES[priority >> 3]!;
}

export function severityName(priority: number): string {
  return SEVERITIES[priority & 7]!;
}

/** Thrown by the parsers; the message is kept raw with this reason in a header. */
export class SyslogParseError extends Error {}

/**
 * Reads `<PRI>` at the start of `text`: returns the priority and the index after '>'.
 * RFC 5424: 1-3 digits, no leading zero except "0" itself, at most 191.
 */
export function readPriority(text: string): { priority: number; end: number } {
  if (text.charCodeAt(0) !== 0x3c) throw new SyslogParseError('no <PRI> at the start');
  let priority = 0;
  let end = 1;
  for (; end < text.length && end <= 4; end++) {
    const c = text.charCodeAt(end);
    if (c === 0x3e) break;
    if (c < 0x30 || c > 0x39) throw new SyslogParseError('PRI is not a number');
    if (end === 2 && priority === 0) throw new SyslogParseError('PRI has a leading zero');
    priority = priority * 10 + (c - 0x30);
  }
  if (end === 1 || end > 4 || text.charCodeAt(end) !== 0x3e) throw new SyslogParseError('PRI is not 1-3 digits in <>');
  if (priority > PRIORITY_MAX) throw new SyslogParseError(`PRI ${priority} is above ${PRIORITY_MAX}`);
  return { priority, end: end + 1 };
}

/**
 * The record value of a parsed message: its JSON, written field by field in a fixed order (one
 * generic JSON.stringify of the object costs about twice as much on the syslog hot path).
 */
export function messageJson(message: SyslogMessage): string {
  return `{"format":"${message.format}","priority":${message.priority},"facility":"${message.facility}","severity":"${message.severity}"` +
    `,"version":${message.version},"timestamp":${jsonString(message.timestamp)},"hostname":${jsonString(message.hostname)}` +
    `,"app_name":${jsonString(message.app_name)},"procid":${jsonString(message.procid)},"msgid":${jsonString(message.msgid)}` +
    `,"structured_data":${message.structured_data === null ? 'null' : JSON.stringify(message.structured_data)},"message":${jsonString(message.message)}}`;
}

function jsonString(text: string | null): string {
  if (text === null) return 'null';
  // Text rarely needs escaping: check first, quote without JSON.stringify when it does not.
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(text);
  }
  return `"${text}"`;
}
