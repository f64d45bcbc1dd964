/** Just enough DNS to log a query's name and refuse it (NXDOMAIN), for the namespace's stub resolver. */

/** `name type=N` of a DNS query message, or a note when it does not parse. */
export function queryName(message: Buffer): string {
  const labels: string[] = [];
  let offset = 12;
  // A name is at most 127 labels; a bounded walk cannot loop on a malformed message.
  for (let i = 0; i < 128 && offset < message.length && message[offset] !== 0; i++) {
    const length = message[offset] as number;
    labels.push(message.subarray(offset + 1, offset + 1 + length).toString("latin1"));
    offset += length + 1;
  }
  const type = offset + 3 <= message.length ? message.readUInt16BE(offset + 1) : -1;
  return `${labels.join(".")} type=${type}`;
}

/** The query echoed back as an answer with no records and rcode 3 (NXDOMAIN). */
export function answerNxdomain(message: Buffer): Buffer {
  let end = 12;
  for (let i = 0; i < 128 && end < message.length && message[end] !== 0; i++) end += (message[end] as number) + 1;
  const answer = Buffer.from(message.subarray(0, Math.min(end + 5, message.length)));
  if (answer.length < 12) return answer;
  answer[2] = 0x80 | ((message[2] as number) & 0x01); // QR, recursion desired as asked
  answer[3] = 0x83; // recursion available, NXDOMAIN
  answer.writeUInt16BE(1, 4);
  answer.writeUInt16BE(0, 6);
  answer.writeUInt16BE(0, 8);
  answer.writeUInt16BE(0, 10);
  return answer;
}
