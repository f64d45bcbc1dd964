import { readSync } from "node:fs";

/** Up to `size` bytes of an open file from its start; fewer if the file shrank since it was stat'ed. */
export function readOpenFile(fd: number, size: number): Buffer {
  const buffer = Buffer.alloc(size);
  let offset = 0;
  while (offset < buffer.length) {
    const read = readSync(fd, buffer, offset, buffer.length - offset, offset);
    if (read === 0) break;
    offset += read;
  }
  return buffer.subarray(0, offset);
}
