import { createSocket, type RemoteInfo } from 'node:dgram';
import { isIPv4, isIPv6 } from 'node:net';

/** The addresses one name answers with; a name without an entry answers NXDOMAIN. */
export interface DnsRecords {
  a?: string[];
  aaaa?: string[];
}

/** A real DNS server over UDP on 127.0.0.1 answering A and AAAA queries from a table the test changes. */
export interface TestDnsServer {
  /** `127.0.0.1:<port>`, as `AUTOBYTEUS_DNS_SERVERS` takes it. */
  address: string;
  /** Sets (or, with `undefined`, removes) the answer for `name`; the next query sees it. */
  setRecords(name: string, records: DnsRecords | undefined): void;
  /** Every question asked, as `A name` / `AAAA name`. */
  queries: string[];
  close(): Promise<void>;
}

const TYPE_A = 1;
const TYPE_AAAA = 28;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;

/** Starts the server on an ephemeral UDP port of 127.0.0.1. */
export async function startDnsServer(initial: Record<string, DnsRecords> = {}): Promise<TestDnsServer> {
  const table = new Map<string, DnsRecords>(Object.entries(initial).map(([name, r]) => [name.toLowerCase(), r]));
  const queries: string[] = [];
  const socket = createSocket('udp4');
  socket.on('message', (message: Buffer, peer: RemoteInfo) => {
    const answer = respond(message, table, queries);
    if (answer) socket.send(answer, peer.port, peer.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${socket.address().port}`,
    setRecords(name, records) {
      if (records) table.set(name.toLowerCase(), records);
      else table.delete(name.toLowerCase());
    },
    queries,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

/** Builds the reply to one query (RFC 1035 §4): header, the question echoed, then one record per address. */
function respond(query: Buffer, table: Map<string, DnsRecords>, queries: string[]): Buffer | undefined {
  if (query.length < 12) return undefined;
  const question = readQuestion(query, 12);
  if (!question) return undefined;
  const { name, type, end } = question;
  queries.push(`${type === TYPE_AAAA ? 'AAAA' : type === TYPE_A ? 'A' : type} ${name}`);
  const records = table.get(name.toLowerCase());
  let rcode = 0;
  let addresses: Buffer[] = [];
  if (type !== TYPE_A && type !== TYPE_AAAA) rcode = RCODE_NOTIMP;
  else if (!records) rcode = RCODE_NXDOMAIN;
  else addresses = (type === TYPE_A ? (records.a ?? []) : (records.aaaa ?? [])).map(addressBytes);

  const header = Buffer.alloc(12);
  header.writeUInt16BE(query.readUInt16BE(0), 0); // same id
  // QR (answer), AA (authoritative), RD copied from the query, RA; then the response code.
  header.writeUInt16BE(0x8000 | 0x0400 | (query.readUInt16BE(2) & 0x0100) | 0x0080 | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(addresses.length, 6);
  const answers = addresses.map((rdata) => {
    const record = Buffer.alloc(12);
    record.writeUInt16BE(0xc00c, 0); // pointer to the question's name
    record.writeUInt16BE(type, 2);
    record.writeUInt16BE(CLASS_IN, 4);
    record.writeUInt32BE(0, 6); // TTL 0: nothing may cache an answer the test is about to change
    record.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([record, rdata]);
  });
  return Buffer.concat([header, query.subarray(12, end), ...answers]);
}

function readQuestion(query: Buffer, start: number): { name: string; type: number; end: number } | undefined {
  const labels: string[] = [];
  let offset = start;
  while (offset < query.length) {
    const length = query[offset] ?? 0;
    offset += 1;
    if (length === 0) break;
    labels.push(query.toString('ascii', offset, offset + length));
    offset += length;
  }
  if (offset + 4 > query.length) return undefined;
  return { name: labels.join('.'), type: query.readUInt16BE(offset), end: offset + 4 };
}

function addressBytes(address: string): Buffer {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) throw new Error(`not an IP address: ${address}`);
  const [head = '', tail = ''] = address.split('::');
  const groups = (part: string) => (part ? part.split(':') : []);
  const missing = 8 - groups(head).length - groups(tail).length;
  const all = address.includes('::') ? [...groups(head), ...Array(missing).fill('0'), ...groups(tail)] : groups(head);
  const bytes = Buffer.alloc(16);
  for (const [i, group] of all.entries()) bytes.writeUInt16BE(Number.parseInt(group, 16), i * 2);
  return bytes;
}
