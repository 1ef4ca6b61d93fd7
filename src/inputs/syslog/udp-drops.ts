/**
 * The kernel's count of datagrams a UDP socket dropped because its receive buffer was full: the
 * `drops` column of /proc/net/udp (IPv4) and /proc/net/udp6 (IPv6), Linux's per-socket sk_drops.
 * Node does not expose SO_RXQ_OVFL, and reading this table once a second costs microseconds.
 * Elsewhere (no /proc) the count is null: losses the kernel does not report cannot be counted.
 *
 * Rows look like (addresses in hex, each 32-bit word in host byte order; port in plain hex):
 *   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
 *   12: 0100007F:14BA 00000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 41302 2 0000000000000000 17
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';

/** The local address as /proc/net/udp{,6} prints it, e.g. "0100007F:14BA" for 127.0.0.1:5306. */
export function procAddress(address: string, port: number): string {
  const portHex = port.toString(16).toUpperCase().padStart(4, '0');
  const little = os.endianness() === 'LE';
  if (net.isIPv4(address)) {
    const bytes = address.split('.').map(Number);
    return `${hexWord(bytes, little)}:${portHex}`;
  }
  const bytes = ipv6Bytes(address);
  let hex = '';
  for (let i = 0; i < 16; i += 4) hex += hexWord(bytes.slice(i, i + 4), little);
  return `${hex}:${portHex}`;
}

/** The drops of the socket bound to `address:port`, or null when the table is unreadable or lacks it. */
export function udpDrops(address: string, port: number): number | null {
  const table = net.isIPv4(address) ? '/proc/net/udp' : '/proc/net/udp6';
  let text: string;
  try {
    text = fs.readFileSync(table, 'latin1');
  } catch {
    return null;
  }
  const local = procAddress(address, port);
  for (const line of text.split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns[1] === local) {
      const drops = Number(columns[columns.length - 1]);
      return Number.isFinite(drops) ? drops : null;
    }
  }
  return null;
}

function hexWord(bytes: number[], little: boolean): string {
  const ordered = little ? [...bytes].reverse() : bytes;
  return ordered.map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join('');
}

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const headGroups = head === '' ? [] : head!.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes: number[] = [];
  for (const group of groups) {
    const value = parseInt(group, 16);
    bytes.push(value >> 8, value & 0xff);
  }
  return bytes;
}
